//! Envelopes (docs/algorithm.md, section 12): the grammar, its errors, the
//! evaluation of every shape, the cursor, the canonical text and serde.

use gar_core::Envelope;
use gar_core::envelope::{ErrorKind, Point, Shape, Time};
use proptest::prelude::*;

fn pt(time: Time, value: f64, shape: Shape) -> Point {
    Point { time, value, shape }
}

fn f(t: f64) -> Time {
    Time::Fraction(t)
}

fn s(t: f64) -> Time {
    Time::Seconds(t)
}

use Shape::{Exp, Lin, Smooth, Step};

fn parse(text: &str) -> Envelope {
    Envelope::parse(text).unwrap_or_else(|e| panic!("{text:?} should parse: {e}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + b.abs())
}

#[test]
fn every_grammar_example_gives_its_points() {
    let cases: Vec<(&str, Vec<Point>)> = vec![
        ("12", vec![pt(f(0.0), 12.0, Lin)]),
        (" -6 ", vec![pt(f(0.0), -6.0, Lin)]),
        ("1e-3", vec![pt(f(0.0), 1e-3, Lin)]),
        ("25..2", vec![pt(f(0.0), 25.0, Lin), pt(f(1.0), 2.0, Lin)]),
        (
            "25..2@exp",
            vec![pt(f(0.0), 25.0, Lin), pt(f(1.0), 2.0, Exp)],
        ),
        (
            " -6 .. +6 @ smooth",
            vec![pt(f(0.0), -6.0, Lin), pt(f(1.0), 6.0, Smooth)],
        ),
        (
            "0:25, 0.4:25, 1:2",
            vec![
                pt(f(0.0), 25.0, Lin),
                pt(f(0.4), 25.0, Lin),
                pt(f(1.0), 2.0, Lin),
            ],
        ),
        (
            "0:25,0.4:25,1:2",
            vec![
                pt(f(0.0), 25.0, Lin),
                pt(f(0.4), 25.0, Lin),
                pt(f(1.0), 2.0, Lin),
            ],
        ),
        (
            "0:-6, 10s:+6@step",
            vec![pt(f(0.0), -6.0, Lin), pt(s(10.0), 6.0, Step)],
        ),
        (
            "0:1, 1:40@exp",
            vec![pt(f(0.0), 1.0, Lin), pt(f(1.0), 40.0, Exp)],
        ),
        (
            "0:1, 0.5:30@exp, 1:2",
            vec![
                pt(f(0.0), 1.0, Lin),
                pt(f(0.5), 30.0, Exp),
                pt(f(1.0), 2.0, Lin),
            ],
        ),
        (
            "0 : 1e-3 , 1500ms : 2.5E2 @ step , 1 : -1e-3@lin",
            vec![
                pt(f(0.0), 1e-3, Lin),
                pt(s(1.5), 250.0, Step),
                pt(f(1.0), -1e-3, Lin),
            ],
        ),
        (
            "0.25:+6, 2s:-6@smooth, 0.75:0@step",
            vec![
                pt(f(0.25), 6.0, Lin),
                pt(s(2.0), -6.0, Smooth),
                pt(f(0.75), 0.0, Step),
            ],
        ),
        // All values equal: the constant.
        ("0:5, 0.5:5@exp, 1:5", vec![pt(f(0.0), 5.0, Lin)]),
        ("5..5", vec![pt(f(0.0), 5.0, Lin)]),
        ("0.5:12", vec![pt(f(0.0), 12.0, Lin)]),
        (
            "0:1@lin, 1:2",
            vec![pt(f(0.0), 1.0, Lin), pt(f(1.0), 2.0, Lin)],
        ),
    ];
    for (text, points) in cases {
        let e = parse(text);
        assert_eq!(e.points(), points.as_slice(), "{text:?}");
        assert_eq!(text.parse::<Envelope>().unwrap(), e);
    }
}

#[test]
fn constants() {
    let c = Envelope::constant(12.0);
    assert!(c.is_constant());
    assert_eq!(c.constant_value(), Some(12.0));
    assert_eq!(parse("12"), c);
    assert_eq!(parse("0:12, 10s:12@step"), c);
    assert_eq!(Envelope::from(12.0), c);
    assert_eq!(c.to_string(), "12");
    let v = parse("25..2");
    assert!(!v.is_constant());
    assert_eq!(v.constant_value(), None);
    assert_eq!(v.resolve(10.0).unwrap().constant_value(), None);
    assert_eq!(c.resolve(10.0).unwrap().constant_value(), Some(12.0));
    assert_eq!(c.resolve(10.0).unwrap().value_at(3.0), 12.0);
}

/// Parses `text`, expecting an error of `kind` whose message contains every
/// string of `quotes`.
fn bad(text: &str, kind: ErrorKind, quotes: &[&str]) -> String {
    let e = match Envelope::parse(text) {
        Ok(env) => panic!("{text:?} should not parse, got {env}"),
        Err(e) => e,
    };
    let msg = e.to_string();
    assert_eq!(e.kind(), kind, "{text:?}: {msg}");
    assert_eq!(e.input(), text);
    for q in quotes {
        assert!(msg.contains(q), "{text:?}: {msg:?} should contain {q:?}");
    }
    // Every message shows a correct example or the way to write it.
    assert!(
        msg.contains("like") || msg.contains("expected"),
        "{text:?}: {msg:?} shows no example"
    );
    msg
}

#[test]
fn malformed_envelopes_are_errors_that_quote_the_bad_part() {
    bad(
        "",
        ErrorKind::Empty,
        &["empty envelope", "12", "25..2", "0:25"],
    );
    bad("   ", ErrorKind::Empty, &["empty envelope"]);
    bad("1..", ErrorKind::BadRange, &["'1..'", "25..2"]);
    bad("..3", ErrorKind::BadRange, &["'..3'"]);
    bad("1...2", ErrorKind::BadRange, &["'1...2'"]);
    bad("1..x", ErrorKind::BadRange, &["'1..x'"]);
    bad(
        "0:1,0.5",
        ErrorKind::BadBreakpoint,
        &["'0.5'", "\"0:1,0.5\"", "TIME:VALUE", "0.5:12"],
    );
    assert_eq!(
        bad("0:1, x:3", ErrorKind::BadBreakpoint, &["'x:3'"]),
        "bad breakpoint 'x:3' in \"0:1, x:3\": expected TIME:VALUE like 0.5:12 or 10s:12"
    );
    bad("0:1, 1:y", ErrorKind::BadBreakpoint, &["'1:y'"]);
    bad("0:1, 1:2:3", ErrorKind::BadBreakpoint, &["'1:2:3'"]);
    bad("0:1, 10x:3", ErrorKind::BadBreakpoint, &["'10x:3'"]);
    bad(
        "0.5:1, 0.2:3",
        ErrorKind::NotIncreasing,
        &["'0.2:3'", "'0.5:1'", "0:1, 0.5:3, 1:2"],
    );
    bad("0:1, 0:3", ErrorKind::NotIncreasing, &["'0:3'", "'0:1'"]);
    bad(
        "5s:1, 2s:3",
        ErrorKind::NotIncreasing,
        &["'2s:3'", "'5s:1'"],
    );
    bad("5s:1, 5000ms:3", ErrorKind::NotIncreasing, &["'5000ms:3'"]);
    // Whatever the duration, a time 0 is after nothing.
    bad("2s:1, 0:3", ErrorKind::NotIncreasing, &["'0:3'", "'2s:1'"]);
    bad("0.5:1, 0s:3", ErrorKind::NotIncreasing, &["'0s:3'"]);
    // Same unit compared even with another unit in between.
    bad(
        "0.5:1, 10s:2, 0.4:3",
        ErrorKind::NotIncreasing,
        &["'0.4:3'", "'0.5:1'"],
    );
    bad(
        "1.5:3",
        ErrorKind::FractionOutOfRange,
        &["'1.5'", "'1.5:3'", "0..1", "1.5s:3"],
    );
    bad("0:1, -0.5:3", ErrorKind::FractionOutOfRange, &["'-0.5'"]);
    bad("0:1, -2s:3", ErrorKind::NegativeTime, &["'-2s'", "10s"]);
    bad(
        "0:1@cubic",
        ErrorKind::UnknownShape,
        &["'@cubic'", "@lin, @exp, @step or @smooth"],
    );
    bad("0:1, 1:2@", ErrorKind::UnknownShape, &["'@'", "'1:2@'"]);
    bad("25..2@fast", ErrorKind::UnknownShape, &["'@fast'"]);
    bad(
        "0:0, 1:5@exp",
        ErrorKind::ExpNotPositive,
        &["'1:5@exp'", "> 0", "from 0 to 5", "0:1, 1:40@exp"],
    );
    bad("0:1, 1:-5@exp", ErrorKind::ExpNotPositive, &["'1:-5@exp'"]);
    bad("0..5@exp", ErrorKind::ExpNotPositive, &["'0..5@exp'"]);
    bad(
        "0:1@exp, 1:40",
        ErrorKind::ShapeOnFirstPoint,
        &["'0:1@exp'", "0:1, 1:40@exp"],
    );
    bad("nan", ErrorKind::NotFinite, &["'nan'", "finite"]);
    bad("inf", ErrorKind::NotFinite, &["'inf'"]);
    bad("1e400", ErrorKind::NotFinite, &["'1e400'"]);
    bad(
        "0:1, 1:NaN",
        ErrorKind::NotFinite,
        &["'NaN'", "\"0:1, 1:NaN\""],
    );
    bad("0:1, infs:3", ErrorKind::NotFinite, &["'infs'"]);
    bad("1..inf", ErrorKind::NotFinite, &["'inf'"]);
    bad(
        "0:1,,1:2",
        ErrorKind::EmptyBreakpoint,
        &["between '0:1' and '1:2'", "\"0:1,,1:2\"", "0.5:12"],
    );
    bad("0:1, 1:2,", ErrorKind::EmptyBreakpoint, &["after '1:2'"]);
    bad(", 0:1", ErrorKind::EmptyBreakpoint, &["before the first"]);
    bad("abc", ErrorKind::BadSyntax, &["\"abc\"", "25..2"]);
    bad("12@exp", ErrorKind::BadSyntax, &["\"12@exp\""]);
    // Display and std::error::Error.
    let e = Envelope::parse("x").unwrap_err();
    let dynerr: &dyn std::error::Error = &e;
    assert_eq!(dynerr.to_string(), e.to_string());
    assert_eq!(e.part(), "x");
}

#[test]
fn from_points_checks_like_the_parser() {
    let ok = Envelope::from_points(vec![pt(f(0.0), 1.0, Lin), pt(s(3.0), 2.0, Exp)]).unwrap();
    assert_eq!(ok, parse("0:1, 3s:2@exp"));
    let err = |points: Vec<Point>| Envelope::from_points(points).unwrap_err();
    assert_eq!(err(vec![]).kind(), ErrorKind::Empty);
    let e = err(vec![pt(f(0.5), 1.0, Lin), pt(f(0.2), 3.0, Lin)]);
    assert_eq!(e.kind(), ErrorKind::NotIncreasing);
    assert!(e.to_string().contains("'0.2:3'"), "{e}");
    assert_eq!(
        err(vec![pt(f(0.0), f64::NAN, Lin)]).kind(),
        ErrorKind::NotFinite
    );
    assert_eq!(
        err(vec![pt(f(0.0), 0.0, Lin), pt(f(1.0), 3.0, Exp)]).kind(),
        ErrorKind::ExpNotPositive
    );
    assert_eq!(
        err(vec![pt(f(1.5), 0.0, Lin)]).kind(),
        ErrorKind::FractionOutOfRange
    );
    assert_eq!(
        err(vec![pt(s(-1.0), 0.0, Lin)]).kind(),
        ErrorKind::NegativeTime
    );
    assert_eq!(
        err(vec![pt(f(0.0), 1.0, Step)]).kind(),
        ErrorKind::ShapeOnFirstPoint
    );
}

#[test]
fn every_shape_against_hand_computed_values() {
    // Linear, with holds before the first point and after the last.
    let e = parse("0.2:1, 0.8:4").resolve(10.0).unwrap();
    assert_eq!(e.times(), &[2.0, 8.0]);
    for (t, v) in [
        (-5.0, 1.0),
        (0.0, 1.0),
        (2.0, 1.0),
        (3.0, 1.5),
        (5.0, 2.5),
        (8.0, 4.0),
        (9.0, 4.0),
        (1e9, 4.0),
        (f64::NAN, 1.0),
    ] {
        assert!(close(e.value_at(t), v), "lin at {t}: {}", e.value_at(t));
    }
    // A range over a 60 s output.
    let e = parse("25..2").resolve(60.0).unwrap();
    assert!(close(e.value_at(30.0), 13.5));
    assert!(close(e.value_at(15.0), 19.25));
    // Geometric: 1 -> 100 over 2 s passes 10 at 1 s and sqrt(10) at 0.5 s.
    let e = parse("0:1, 1:100@exp").resolve(2.0).unwrap();
    assert!(close(e.value_at(1.0), 10.0));
    assert!(close(e.value_at(0.5), 10f64.sqrt()));
    assert!(close(e.value_at(1.5), 1000f64.sqrt()));
    let e = parse("0:40, 1:1@exp").resolve(1.0).unwrap();
    assert!(close(e.value_at(0.5), 40f64.sqrt()));
    // Step: the previous value until the point, the new one at and after.
    let e = parse("0:-6, 10s:+6@step").resolve(20.0).unwrap();
    for (t, v) in [
        (0.0, -6.0),
        (5.0, -6.0),
        (9.999, -6.0),
        (10.0, 6.0),
        (15.0, 6.0),
        (20.0, 6.0),
    ] {
        assert_eq!(e.value_at(t), v, "step at {t}");
    }
    // Smooth: v0 + (v1 - v0)(1 - cos(pi u))/2.
    let e = parse("0:0, 1:10@smooth").resolve(4.0).unwrap();
    assert!(close(e.value_at(2.0), 5.0));
    assert!(close(e.value_at(1.0), 10.0 * (1.0 - 0.5f64.sqrt()) / 2.0));
    assert!(close(e.value_at(3.0), 10.0 * (1.0 + 0.5f64.sqrt()) / 2.0));
}

#[test]
fn a_mixture_of_seconds_and_fractions() {
    // Points at 0, 2 s, 5 s (0.5 of 10 s), 8 s, 10 s.
    let env = parse("0:0, 2s:10, 0.5:20@smooth, 8000ms:2@exp, 1:8@step");
    let e = env.resolve(10.0).unwrap();
    assert_eq!(e.times(), &[0.0, 2.0, 5.0, 8.0, 10.0]);
    assert!(close(e.value_at(1.0), 5.0));
    assert!(close(e.value_at(3.5), 15.0)); // smooth, halfway
    assert!(close(e.value_at(6.5), 20.0 * 0.1f64.sqrt())); // exp 20 -> 2, halfway
    assert_eq!(e.value_at(9.0), 2.0); // step
    assert_eq!(e.value_at(10.0), 8.0);
    // On a 100 s output the same text puts 0.5 at 50 s.
    let e = env.resolve(100.0);
    assert_eq!(e.unwrap_err().kind(), ErrorKind::NotIncreasing);
    let e = parse("0:0, 2s:10, 0.5:20").resolve(100.0).unwrap();
    assert_eq!(e.times(), &[0.0, 2.0, 50.0]);
    assert!(close(e.value_at(26.0), 15.0));
    // The order of fractions against seconds depends on the duration.
    let env = parse("0.5:1, 2s:3");
    assert_eq!(env.resolve(2.0).unwrap().times(), &[1.0, 2.0]);
    let err = env.resolve(10.0).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotIncreasing);
    let msg = err.to_string();
    assert!(msg.contains("'2s:3'") && msg.contains("'0.5:1'"), "{msg}");
    assert!(msg.contains("at 5 s") && msg.contains("10 s"), "{msg}");
    // Equal after resolving is not increasing either.
    assert!(parse("0:1, 10s:2, 1:3").resolve(10.0).is_err());
    // A point beyond the end shapes the last stretch.
    let e = parse("0:0, 20s:20").resolve(10.0).unwrap();
    assert!(close(e.value_at(10.0), 10.0));
    for d in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert_eq!(
            parse("0:1, 1:2").resolve(d).unwrap_err().kind(),
            ErrorKind::BadDuration
        );
    }
}

#[test]
fn breakpoint_values_are_exact() {
    let text =
        "0:0.1, 0.1:7.3@exp, 0.3:-2.2@smooth, 3.7s:1e-3, 0.6:1e-3@step, 0.9:9.9@exp, 1:0.3@smooth";
    let env = parse(text);
    for d in [10.0, 7.77, 12.0] {
        let e = env.resolve(d).unwrap();
        let mut c = e.cursor();
        for (t, v) in e.times().iter().zip(e.values()) {
            assert_eq!(e.value_at(*t), *v, "at {t} of {d}");
            assert_eq!(c.value_at(*t), *v, "cursor at {t} of {d}");
        }
    }
}

#[test]
fn map_values_min_and_max() {
    let e = parse("0:0.001, 0.5:50@exp, 1:3000@smooth");
    assert_eq!(e.min_value(), 0.001);
    assert_eq!(e.max_value(), 3000.0);
    let c = e.map_values(|v| v.clamp(0.01, 1000.0));
    assert_eq!(c, parse("0:0.01, 0.5:50@exp, 1:1000@smooth"));
    // An exp segment whose ends are no longer > 0 becomes linear.
    let c = e.map_values(|v| v - 1.0);
    assert_eq!(c.points()[1].shape, Lin);
    assert_eq!(c.points()[1].value, 49.0);
    assert_eq!(c.points()[2].shape, Smooth);
    // Equal values become the constant.
    let c = e.map_values(|_| 7.0);
    assert_eq!(c, Envelope::constant(7.0));
    assert_eq!(Envelope::constant(-3.0).min_value(), -3.0);
    assert_eq!(Envelope::constant(-3.0).max_value(), -3.0);
    let err = e.try_map_values(|_| f64::NAN).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFinite);
    // The extremes over time are the breakpoints' (every shape stays between its ends).
    let r = e.resolve(3.0).unwrap();
    for k in 0..=3000 {
        let v = r.value_at(k as f64 * 1e-3);
        assert!((e.min_value()..=e.max_value()).contains(&v));
    }
}

#[test]
fn canonical_text() {
    for (text, canon) in [
        ("12", "12"),
        ("+12.50", "12.5"),
        ("0:12", "12"),
        ("1e-7", "1e-7"),
        ("1e20", "1e20"),
        ("25 .. 2", "25..2"),
        ("0:25, 1:2@exp", "25..2@exp"),
        ("0:25, 1:2@lin", "25..2"),
        ("0:25,0.4:25,1:2", "0:25, 0.4:25, 1:2"),
        ("0:-6, 10s:+6@step", "0:-6, 10s:6@step"),
        ("0:1, 1500ms:2@SMOOTH", "0:1, 1.5s:2@smooth"),
        ("-0:1, 1:2", "1..2"),
    ] {
        assert_eq!(parse(text).to_string(), canon, "{text:?}");
        assert_eq!(parse(canon), parse(text));
    }
}

// Random valid envelopes: increasing times on a `D` s output, each written as a
// fraction or in seconds, values of every magnitude, every shape.
const D: f64 = 12.5;

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        -100.0..100.0f64,
        (-30.0..30.0f64).prop_map(|e| 10f64.powf(e)),
        (-30.0..30.0f64).prop_map(|e| -(10f64.powf(e))),
        Just(0.0),
        (-5i32..5).prop_map(f64::from),
    ]
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![Just(Lin), Just(Exp), Just(Step), Just(Smooth)]
}

prop_compose! {
    fn any_envelope()(
        raw in prop::collection::vec((1u32..1000, any::<bool>(), value(), shape()), 1..9),
        start_at_zero in any::<bool>(),
    ) -> Envelope {
        let mut points = Vec::new();
        let mut t = 0.0;
        for (k, (gap, secs, v, sh)) in raw.into_iter().enumerate() {
            if k > 0 || !start_at_zero {
                t += f64::from(gap) * 0.01;
            }
            let time = if secs || t > D { Time::Seconds(t) } else { Time::Fraction(t / D) };
            let prev: Option<&Point> = points.last();
            let shape = match (prev, sh) {
                (None, _) => Lin,
                (Some(p), Exp) if !(p.value > 0.0 && v > 0.0) => Lin,
                (Some(_), sh) => sh,
            };
            points.push(Point { time, value: v, shape });
        }
        Envelope::from_points(points).unwrap()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn display_parses_back_to_an_equal_envelope(e in any_envelope()) {
        let text = e.to_string();
        let back = Envelope::parse(&text).unwrap();
        prop_assert_eq!(&back, &e, "{}", text);
        prop_assert_eq!(back.to_string(), text);
    }

    #[test]
    fn serde_json_round_trips(e in any_envelope()) {
        let json = serde_json::to_string(&e).unwrap();
        let back: Envelope = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &e, "{}", json);
        // The array form of the same points.
        let arr: Vec<serde_json::Value> = e.points().iter().map(|p| {
            let t = match p.time {
                Time::Fraction(v) => serde_json::json!(v),
                Time::Seconds(v) => serde_json::json!(format!("{v}s")),
            };
            serde_json::json!([t, p.value, p.shape.name()])
        }).collect();
        let back: Envelope = serde_json::from_value(serde_json::Value::Array(arr)).unwrap();
        prop_assert_eq!(&back, &e);
    }

    #[test]
    fn a_cursor_gives_value_at_everywhere(
        e in any_envelope(),
        mut times in prop::collection::vec(-1.0..(D * 1.6), 1..200),
        back in prop::collection::vec(-1.0..(D * 1.6), 0..20),
    ) {
        let r = e.resolve(D).unwrap();
        times.sort_by(f64::total_cmp);
        // Breakpoint times themselves, and just either side of them.
        for &t in r.times() {
            times.extend([t.next_down(), t, t.next_up()]);
        }
        times.sort_by(f64::total_cmp);
        let mut c = r.cursor();
        for &t in &times {
            prop_assert_eq!(c.value_at(t).to_bits(), r.value_at(t).to_bits(), "at {}", t);
            prop_assert!(r.value_at(t).is_finite());
        }
        // Out of order still gives the same values.
        for &t in back.iter().chain(&times) {
            prop_assert_eq!(c.value_at(t).to_bits(), r.value_at(t).to_bits(), "at {}", t);
        }
    }

    #[test]
    fn value_at_is_each_segment_by_its_formula(e in any_envelope(), u in 0.0..1.0f64) {
        let r = e.resolve(D).unwrap();
        let (ts, vs, shs) = (r.times(), r.values(), r.shapes());
        for i in 1..ts.len() {
            let t = ts[i - 1] + u * (ts[i] - ts[i - 1]);
            if t >= ts[i] { continue; }
            let u = (t - ts[i - 1]) / (ts[i] - ts[i - 1]);
            let (v0, v1) = (vs[i - 1], vs[i]);
            let want = match shs[i] {
                Lin => v0 + (v1 - v0) * u,
                Exp => v0 * (v1 / v0).powf(u),
                Step => v0,
                Smooth => v0 + (v1 - v0) * (1.0 - (std::f64::consts::PI * u).cos()) / 2.0,
            };
            let got = r.value_at(t);
            prop_assert!((got - want).abs() <= 1e-9 * (v0.abs() + v1.abs()), "{} vs {}", got, want);
        }
        prop_assert_eq!(r.value_at(-1.0), vs[0]);
        prop_assert_eq!(r.value_at(1e12), vs[vs.len() - 1]);
    }
}

#[test]
fn a_long_monotone_sweep_with_the_cursor() {
    // Many hops over many points: the cursor agrees with the binary search.
    let text: Vec<String> = (0..=1000)
        .map(|k| {
            format!(
                "{}:{}{}",
                k as f64 / 1000.0,
                (k * 7919) % 101 + 1,
                ["", "@exp", "@step", "@smooth"][k % 4]
            )
        })
        .collect();
    let env = parse(&text.join(", "));
    let r = env.resolve(600.0).unwrap();
    let mut c = r.cursor();
    let hop = 0.0123;
    for h in 0..(600.0 / hop) as usize + 10 {
        let t = h as f64 * hop;
        assert_eq!(c.value_at(t).to_bits(), r.value_at(t).to_bits(), "hop {h}");
    }
}

#[test]
fn serde_forms() {
    use serde_json::{from_str, json, to_string, to_value};
    // Serialize: a number when constant, the canonical text otherwise.
    assert_eq!(to_value(Envelope::constant(12.0)).unwrap(), json!(12.0));
    assert_eq!(to_string(&Envelope::constant(-6.5)).unwrap(), "-6.5");
    assert_eq!(to_value(parse("25..2")).unwrap(), json!("25..2"));
    assert_eq!(
        to_value(parse("0:-6, 10s:+6@step")).unwrap(),
        json!("0:-6, 10s:6@step")
    );
    // Deserialize a number, a string, an array of pairs.
    let de = |j: &str| from_str::<Envelope>(j).unwrap_or_else(|e| panic!("{j}: {e}"));
    assert_eq!(de("12"), Envelope::constant(12.0));
    assert_eq!(de("-6"), Envelope::constant(-6.0));
    assert_eq!(de("0.25"), Envelope::constant(0.25));
    assert_eq!(de("\"12\""), Envelope::constant(12.0));
    assert_eq!(de("\"25..2@exp\""), parse("25..2@exp"));
    assert_eq!(de("[[0, 1], [1, 40, \"exp\"]]"), parse("0:1, 1:40@exp"));
    assert_eq!(
        de("[[0, -6], [\"10s\", 6, \"step\"]]"),
        parse("0:-6, 10s:+6@step")
    );
    assert_eq!(
        de("[[\"0\", 25], [0.4, 25.0], [\"1500ms\", 2, \"@smooth\"]]"),
        parse("0:25, 0.4:25, 1.5s:2@smooth")
    );
    assert_eq!(de("[[0.5, 3]]"), Envelope::constant(3.0));
    // Inside a struct, as a params file would have it.
    #[derive(serde::Deserialize, serde::Serialize, PartialEq, Debug)]
    struct P {
        alpha: Envelope,
        floor_db: Envelope,
    }
    let p: P = from_str(r#"{"alpha": [[0, 1], [1, 40, "exp"]], "floor_db": -6}"#).unwrap();
    assert_eq!(p.alpha, parse("0:1, 1:40@exp"));
    assert_eq!(p.floor_db, Envelope::constant(-6.0));
    let j = to_string(&p).unwrap();
    assert_eq!(j, r#"{"alpha":"1..40@exp","floor_db":-6.0}"#);
    assert_eq!(from_str::<P>(&j).unwrap(), p);
    // Errors name what is wrong.
    let err = |j: &str| from_str::<Envelope>(j).unwrap_err().to_string();
    assert!(err("\"0:1, x:3\"").contains("bad breakpoint 'x:3'"));
    assert!(err("[[0.5, 1], [0.2, 3]]").contains("'0.2:3'"));
    assert!(err("[[0, 0], [1, 5, \"exp\"]]").contains("'1:5@exp'"));
    assert!(err("[[0, 1], [1, 5, \"cubic\"]]").contains("\"cubic\""));
    assert!(err("[[\"10x\", 1]]").contains("\"10x\""));
    assert!(err("[[0, 1, \"lin\", 4]]").contains("length"));
    assert!(err("[[0]]").contains("length"));
    assert!(err("[]").contains("empty envelope"));
    assert!(err("true").contains("an envelope"));
    assert!(err("{\"a\": 1}").contains("an envelope"));
    assert!(err("[[1.5, 3]]").contains("outside 0..1"));
}
