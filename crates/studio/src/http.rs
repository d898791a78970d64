//! Routes and responses. Every request passes [`crate::security::Guard`]
//! first, then is answered inside its own panic boundary: a bad request gets
//! a 4xx with a sentence, a bug a 500, and the server keeps serving.
//!
//! The API (under `/<token>/`, documented in `docs/studio.md`):
//! `GET api/state`, `POST api/sounds?name=FILE`, `GET api/sounds/ID`,
//! `GET api/sounds/ID/source.wav`, `POST api/render`, `GET api/renders`,
//! `GET api/renders/ID`, `GET api/renders/ID/{output.wav, report.json,
//! params.toml, plot.png, plot.svg, grain/I.wav}`, `GET api/keys/KEY/output.wav`.

use crate::render::{self, Request as RenderRequest};
use crate::security::Guard;
use crate::store::{Keyed, Keys, Origin, Store, lock};
use crate::wav::Audio;
use crate::{assets, source};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::sync::Arc;

/// The session: the rules and the store.
pub struct State {
    pub guard: Guard,
    pub store: Store,
}

/// Largest JSON request body.
const MAX_JSON: u64 = 1 << 20;

/// A response's body: owned bytes, or a range of shared bytes (a WAV kept in
/// the store, sent without a copy).
enum Body {
    Bytes(Vec<u8>),
    Shared(Arc<Vec<u8>>, usize, usize),
    Audio(Arc<Audio>, u64, u64),
}

struct SharedReader(Arc<Vec<u8>>, usize, usize);

impl Read for SharedReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.2 - self.1);
        buf[..n].copy_from_slice(&self.0[self.1..self.1 + n]);
        self.1 += n;
        Ok(n)
    }
}

/// A response before it is sent.
pub struct Reply {
    status: u16,
    ty: &'static str,
    body: Body,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    fn bytes(status: u16, ty: &'static str, b: Vec<u8>) -> Reply {
        Reply {
            status,
            ty,
            body: Body::Bytes(b),
            headers: Vec::new(),
        }
    }
    fn json(status: u16, v: &Value) -> Reply {
        Reply::bytes(
            status,
            "application/json",
            serde_json::to_vec(v).unwrap_or_default(),
        )
    }
    fn error(status: u16, msg: impl Into<String>) -> Reply {
        Reply::json(status, &json!({ "error": msg.into() }))
    }
    fn from_render_error(e: render::Error) -> Reply {
        Reply::json(e.status, &serde_json::to_value(&e).unwrap_or_default())
    }
    fn with(mut self, k: &'static str, v: String) -> Reply {
        self.headers.push((k, v));
        self
    }

    fn into_response(self) -> tiny_http::Response<Box<dyn Read + Send>> {
        let (reader, len): (Box<dyn Read + Send>, usize) = match self.body {
            Body::Bytes(b) => {
                let n = b.len();
                (Box::new(std::io::Cursor::new(b)), n)
            }
            Body::Shared(a, from, to) => (Box::new(SharedReader(a, from, to)), to - from),
            Body::Audio(a, from, to) => (
                Box::new(crate::wav::Reader::new(a, from, to)),
                (to - from) as usize,
            ),
        };
        let mut headers = vec![
            header("Content-Type", self.ty),
            header("Cache-Control", "no-store"),
            header("X-Content-Type-Options", "nosniff"),
            header("Referrer-Policy", "no-referrer"),
            header("X-Frame-Options", "DENY"),
            header(
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; \
                 style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
            ),
        ];
        headers.extend(self.headers.iter().map(|(k, v)| header(k, v)));
        tiny_http::Response::new(
            tiny_http::StatusCode(self.status),
            headers.into_iter().flatten().collect(),
            reader,
            Some(len),
            None,
        )
    }
}

fn header(k: &str, v: &str) -> Option<tiny_http::Header> {
    tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()).ok()
}

/// A request announcing a body larger than anything the studio accepts is
/// answered 413 at once, without going through the routes. tiny_http, when it
/// lets go of a body that was not read to its announced end (the request
/// dropped, or the client closing early), allocates the unread length in one
/// buffer (`EqualReader::drop`), which for a hostile `Content-Length:
/// 99999999999` aborts the process. So the connection is taken over
/// (`upgrade`), the 413 written, and the connection leaked, never read or
/// dropped: two file descriptors per such request (measured), and the
/// connection stays open until the process ends. The fix belongs in
/// tiny_http (drain with a fixed buffer, or not at all on a closing
/// connection). The page checks sizes before it uploads, so only a hostile
/// client gets here.
fn refuse_oversized(rq: tiny_http::Request, declared: u64, limit: u64) {
    let reply = Reply::error(
        413,
        format!(
            "a request body of {} is larger than the studio's limit of {}",
            gar_io::bytes_words(declared),
            gar_io::bytes_words(limit)
        ),
    );
    let mut stream = rq.upgrade("close", reply.into_response());
    let _ = stream.flush();
    std::mem::forget(stream);
}

/// Serves requests until the server is unblocked.
pub fn serve(server: &tiny_http::Server, state: &State) {
    let limit = state.store.limits.max_upload_bytes.max(MAX_JSON);
    while let Ok(mut rq) = server.recv() {
        let declared = rq.body_length().unwrap_or(0) as u64;
        if declared > limit {
            refuse_oversized(rq, declared, limit);
            continue;
        }
        let reply = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| answer(state, &mut rq)))
            .unwrap_or_else(|_| {
                Reply::error(
                    500,
                    "internal error (a bug in gar studio; the request was dropped, the studio keeps running)",
                )
            });
        let _ = rq.respond(reply.into_response());
    }
}

fn header_of<'a>(rq: &'a tiny_http::Request, name: &str) -> Option<&'a str> {
    rq.headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// The checks, then the route.
pub fn answer(state: &State, rq: &mut tiny_http::Request) -> Reply {
    let url = rq.url().to_string();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let rest = match state.guard.check(
        header_of(rq, "Host"),
        header_of(rq, "Origin"),
        header_of(rq, "Sec-Fetch-Site"),
        path,
    ) {
        Ok(r) => r.to_string(),
        Err(e) => {
            return Reply::bytes(403, "text/plain; charset=utf-8", e.to_string().into_bytes());
        }
    };
    let q: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let qv = |k: &str| q.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str());
    let method = rq.method().clone();
    use tiny_http::Method::{Get, Head, Post};
    let parts: Vec<&str> = rest.split('/').collect();
    let mut reply = match (&method, parts.as_slice()) {
        (Get | Head, [""] | ["index.html"]) => static_file("index.html"),
        (Get | Head, ["api", "state"]) => Reply::json(200, &state_json(&state.store)),
        (Post, ["api", "sounds"]) => upload(state, rq, qv("name").unwrap_or("upload")),
        (Get | Head, ["api", "sounds", id]) => match sound_of(state, id) {
            Ok(s) => Reply::bytes(200, "application/json", s.info_with_overview()),
            Err(r) => r,
        },
        (Get | Head, ["api", "sounds", id, "source.wav"]) => match sound_of(state, id) {
            Ok(s) => match s.wav() {
                Ok(w) => shared(rq, w, "audio/wav"),
                Err(e) => Reply::error(500, e),
            },
            Err(r) => r,
        },
        (Post, ["api", "render"]) => render_route(state, rq),
        (Get | Head, ["api", "renders"]) => Reply::json(
            200,
            &Value::from(
                state
                    .store
                    .renders()
                    .iter()
                    .map(|r| r.info())
                    .collect::<Vec<_>>(),
            ),
        ),
        (Get | Head, ["api", "keys", key, "output.wav"]) => keyed_wav(state, rq, key),
        (Get | Head, ["api", "renders", id, file @ ..]) => {
            render_file(state, rq, id, file, qv("download").is_some(), qv("size"))
        }
        // Debug builds only (the tests): checks the panic boundary.
        #[cfg(debug_assertions)]
        (Get, ["api", "debug-panic"]) => panic!("the test route panics"),
        (Get | Head, [..]) if !rest.starts_with("api/") => static_file(&rest),
        (_, ["api", ..]) => Reply::error(
            404,
            format!("no route {method} /{rest}; see docs/studio.md for the API"),
        ),
        _ => Reply::error(404, format!("not found: /{rest}")),
    };
    if method == Head {
        reply.body = Body::Bytes(Vec::new());
    }
    reply
}

fn static_file(name: &str) -> Reply {
    match assets::get(name) {
        Some((b, ty)) => Reply::bytes(200, ty, b.to_vec()),
        None => Reply::error(404, format!("not found: /{name}")),
    }
}

fn sound_of(state: &State, id: &str) -> Result<Arc<crate::store::Sound>, Reply> {
    id.parse::<u64>()
        .ok()
        .and_then(|i| state.store.sound(i))
        .ok_or_else(|| {
            Reply::error(
                404,
                format!("no sound '{id}' (it may have been replaced by a newer upload)"),
            )
        })
}

/// Presets, the parameter table, sounds, history and limits.
fn state_json(store: &Store) -> Value {
    let presets: Vec<Value> = gar_core::Preset::ALL
        .iter()
        .map(|p| {
            let v = p.params();
            let values: serde_json::Map<String, Value> = gar_core::table::PARAMS
                .iter()
                .filter(|s| s.id != "seed")
                .filter_map(|s| Some((s.id.to_string(), Value::from(s.get_text(&v)?))))
                .collect();
            json!({
                "id": p.id(),
                "name": p.title(),
                "number": p.number(),
                "character": p.character(),
                "values": values,
            })
        })
        .collect();
    let l = &store.limits;
    json!({
        "gar_version": gar_core::VERSION,
        "parameters": gar_core::table::describe_all(),
        "presets": presets,
        "sounds": store.sounds().iter().map(|s| s.info()).collect::<Vec<_>>(),
        "renders": store.renders().iter().map(|r| r.info()).collect::<Vec<_>>(),
        "limits": {
            "max_upload_bytes": l.max_upload_bytes,
            "max_decoded_bytes": l.max_decoded_bytes,
            "max_sounds": l.max_sounds,
            "max_renders": l.max_renders,
            "max_audio_bytes": l.max_audio_bytes,
            "max_output_bytes": l.max_output_bytes,
        },
    })
}

/// The request's body, at most `limit` bytes (413 beyond).
fn body(rq: &mut tiny_http::Request, limit: u64, what: &str) -> Result<Vec<u8>, Reply> {
    let too_big = || {
        Reply::error(
            413,
            format!(
                "{what} larger than the studio's limit of {}",
                gar_io::bytes_words(limit)
            ),
        )
    };
    if rq.body_length().is_some_and(|n| n as u64 > limit) {
        return Err(too_big());
    }
    let mut v = Vec::new();
    rq.as_reader()
        .take(limit + 1)
        .read_to_end(&mut v)
        .map_err(|e| Reply::error(400, format!("cannot read the request: {e}")))?;
    if v.len() as u64 > limit {
        return Err(too_big());
    }
    Ok(v)
}

fn upload(state: &State, rq: &mut tiny_http::Request, name: &str) -> Reply {
    let store = &state.store;
    let bytes = match body(rq, store.limits.max_upload_bytes, "an upload") {
        Ok(b) => b,
        Err(r) => return r,
    };
    let name: String = std::path::Path::new(name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "upload".into())
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    let decoded = match source::decode_bytes(bytes, ext.as_deref(), &store.limits) {
        Ok(d) => d,
        Err(e) => return Reply::error(422, format!("{name}: {e}")),
    };
    match store.add_sound(name.clone(), decoded, Origin::Upload) {
        Ok((s, evicted)) => {
            let mut v = s.info();
            v["replaced"] = Value::from(evicted);
            v["overview"] = serde_json::to_value(&s.overview).unwrap_or_default();
            Reply::json(200, &v)
        }
        Err(e) => Reply::error(507, format!("{name}: {e}")),
    }
}

fn render_route(state: &State, rq: &mut tiny_http::Request) -> Reply {
    let store = &state.store;
    if !header_of(rq, "Content-Type").is_some_and(|t| t.starts_with("application/json")) {
        return Reply::error(
            415,
            "a render request is JSON (Content-Type: application/json)",
        );
    }
    let b = match body(rq, MAX_JSON, "a render request") {
        Ok(b) => b,
        Err(r) => return r,
    };
    let req: RenderRequest = match serde_json::from_slice(&b) {
        Ok(r) => r,
        Err(e) => return Reply::error(400, format!("not a render request: {e}")),
    };
    let Some(key) = req.key.clone() else {
        return render_request(store, req);
    };
    if !Keys::valid(&key) {
        return Reply::error(400, "a render key is 1 to 64 of A-Z a-z 0-9 _ -");
    }
    store.keys.set(&key, Keyed::Pending);
    let reply = render_request(store, req);
    // A player waiting for the key's output gets the render's refusal.
    let why = match &reply.body {
        Body::Bytes(b) => serde_json::from_slice::<Value>(b)
            .ok()
            .and_then(|v| v["error"].as_str().map(String::from)),
        _ => None,
    };
    store.keys.fail_if_pending(
        &key,
        reply.status,
        why.unwrap_or_else(|| "the render failed".into()),
    );
    reply
}

fn render_request(store: &Store, req: RenderRequest) -> Reply {
    let Some(sound) = store.sound(req.sound) else {
        return Reply::error(
            404,
            format!("no sound {} (it may have been replaced)", req.sound),
        );
    };
    let resolved = match render::resolve(&req) {
        Ok(r) => r,
        Err(e) => return Reply::from_render_error(e),
    };
    let lane = req.lane.clone().unwrap_or_default();
    let ticket = store.ticket(&lane);
    let _turn = lock(&store.render_lock);
    if !store.current(&lane, ticket) {
        return Reply::json(
            409,
            &json!({"error": "superseded by a newer render", "superseded": true}),
        );
    }
    // A newer render of the lane supersedes this one even while it renders.
    let stop = || !store.current(&lane, ticket);
    match store.render_new(sound, req, resolved, &stop) {
        Ok(r) => Reply::bytes(200, "application/json", r.full()),
        Err(e) => Reply::from_render_error(e),
    }
}

/// The output of the render asked for with `key`, as soon as it is rendered
/// (the request waits for it: at most 5 s for the render request to arrive,
/// then as long as the render takes, at most 5 minutes); the render's
/// refusal if it was refused or superseded; 503 when too many wait already.
fn keyed_wav(state: &State, rq: &tiny_http::Request, key: &str) -> Reply {
    if !Keys::valid(key) {
        return Reply::error(404, "not a render key");
    }
    let keyed = state.store.keys.wait(
        key,
        std::time::Duration::from_secs(5),
        std::time::Duration::from_secs(300),
    );
    match keyed {
        Some(Keyed::Audio(a)) => {
            let n = a.len();
            ranged(rq, n, "audio/wav", |x, y| Body::Audio(a, x, y))
        }
        Some(Keyed::Done(id)) => {
            render_file(state, rq, &id.to_string(), &["output.wav"], false, None)
        }
        Some(Keyed::Failed(status, why)) => Reply::error(status, why),
        Some(Keyed::Pending) | None => Reply::error(
            404,
            format!("no render asked for with key '{key}' (or it did not come in time)"),
        ),
    }
}

/// The byte range a `Range: bytes=a-b` header asks of `n` bytes (one range;
/// media players seek with it), inclusive.
fn range_of(rq: &tiny_http::Request, n: u64) -> Option<(u64, u64)> {
    let r = header_of(rq, "Range")?.trim().strip_prefix("bytes=")?;
    if r.contains(',') {
        return None;
    }
    let (a, b) = r.split_once('-')?;
    let last = n.checked_sub(1)?;
    let (a, b) = match (a.trim(), b.trim()) {
        ("", s) => (n.saturating_sub(s.parse().ok()?), last),
        (a, "") => (a.parse().ok()?, last),
        (a, b) => (a.parse().ok()?, b.parse::<u64>().ok()?.min(last)),
    };
    (a <= b).then_some((a, b))
}

/// A body of `n` bytes made by `body(from, to)`, honouring a Range header.
fn ranged(
    rq: &tiny_http::Request,
    n: u64,
    ty: &'static str,
    body: impl FnOnce(u64, u64) -> Body,
) -> Reply {
    let (status, a, b, mut headers) = match range_of(rq, n) {
        Some((a, b)) => (
            206,
            a,
            b + 1,
            vec![("Content-Range", format!("bytes {a}-{b}/{n}"))],
        ),
        None => (200, 0, n, Vec::new()),
    };
    headers.push(("Accept-Ranges", "bytes".into()));
    Reply {
        status,
        ty,
        body: body(a, b),
        headers,
    }
}

fn shared(rq: &tiny_http::Request, data: Arc<Vec<u8>>, ty: &'static str) -> Reply {
    let n = data.len() as u64;
    ranged(rq, n, ty, |a, b| Body::Shared(data, a as usize, b as usize))
}

fn attachment(r: Reply, download: bool, name: &str) -> Reply {
    if !download {
        return r;
    }
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    r.with(
        "Content-Disposition",
        format!("attachment; filename=\"{safe}\""),
    )
}

fn render_file(
    state: &State,
    rq: &tiny_http::Request,
    id: &str,
    file: &[&str],
    download: bool,
    size: Option<&str>,
) -> Reply {
    let Some(r) = id.parse::<u64>().ok().and_then(|i| state.store.render(i)) else {
        return Reply::error(
            404,
            format!(
                "no render '{id}': the studio keeps the last {}",
                state.store.limits.max_renders
            ),
        );
    };
    let stem = render::output_name(&r.sound, r.resolved.preset);
    let stem = stem.trim_end_matches(".wav");
    match file {
        [] => Reply::bytes(200, "application/json", r.full()),
        ["output.wav"] => match r.audio(&state.store) {
            Ok(a) => {
                let n = a.len();
                let reply = ranged(rq, n, "audio/wav", |x, y| Body::Audio(a, x, y));
                attachment(reply, download, &format!("{stem}.wav"))
            }
            Err(e) => Reply::from_render_error(e),
        },
        ["report.json"] => {
            let b = serde_json::to_vec_pretty(&r.report).unwrap_or_default();
            attachment(
                Reply::bytes(200, "application/json", b),
                download,
                &format!("{stem}.json"),
            )
        }
        ["params.toml"] => {
            let t = gar_core::paramfile::to_toml(&r.prepared.settings, r.prepared.seed);
            attachment(
                Reply::bytes(200, "application/toml; charset=utf-8", t.into_bytes()),
                download,
                &format!("{stem}.toml"),
            )
        }
        [pic @ ("plot.png" | "plot.svg")] => {
            let (w, h) = match size.map(gar_plot::parse_size) {
                Some(Ok(s)) => s,
                Some(Err(e)) => return Reply::error(400, e.to_string()),
                None => gar_plot::DEFAULT_SIZE,
            };
            let (fmt, ty) = if *pic == "plot.png" {
                (gar_plot::PlotFormat::Png, "image/png")
            } else {
                (gar_plot::PlotFormat::Svg, "image/svg+xml")
            };
            let out = {
                let _turn = lock(&state.store.render_lock);
                r.samples()
            };
            let chans = r.sound.channels();
            let inp = gar_plot::PlotInput {
                prepared: &r.prepared,
                report: &r.report,
                input: &chans,
                output: Some(&out),
                source_name: &r.sound.name,
            };
            match gar_plot::render(&inp, fmt, w, h) {
                Ok(b) => attachment(
                    Reply::bytes(200, ty, b),
                    download,
                    &format!("{stem}.{}", &pic[5..]),
                ),
                Err(e) => Reply::error(500, format!("cannot draw the picture: {e}")),
            }
        }
        ["grain", g] => {
            let Some(i) = g.strip_suffix(".wav").and_then(|i| i.parse::<usize>().ok()) else {
                return Reply::error(404, format!("not a grain: {g}"));
            };
            match render::grain_wav(&r.sound, &r.prepared, r.gain, i) {
                Ok(b) => Reply::bytes(200, "audio/wav", b),
                Err(e) => Reply::from_render_error(e),
            }
        }
        _ => Reply::error(404, format!("no file {} for render {id}", file.join("/"))),
    }
}
