fn main() {
    for a in std::env::args().skip(1) {
        match gar_io::decode_file(std::path::Path::new(&a)) {
            Ok(d) => {
                let peak = d.channels.iter().flatten().fold(0f32, |m, x| m.max(x.abs()));
                println!("{a}: {} Hz, {} ch, {} frames, '{}', nonfinite {}, peak {peak}, warnings {:?}, first {:?}",
                    d.sample_rate, d.channels.len(), d.frames, d.format, d.nonfinite_replaced, d.warnings,
                    &d.channels[0][..4.min(d.frames)]);
            }
            Err(e) => println!("{a}: ERR {e:?}\n   {e}"),
        }
    }
}
