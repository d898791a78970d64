//! Cuts sound files into short pieces for the batch benchmark (bench/batch_bench.py):
//! `cut_pieces OUT_DIR COUNT SECONDS INPUT...` writes COUNT 16-bit WAV pieces of
//! SECONDS each, taken in turn from the inputs at successive offsets (wrapping around,
//! each round shifted by a quarter of a piece so that no two pieces are equal).

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 {
        return Err("usage: cut_pieces OUT_DIR COUNT SECONDS INPUT...".into());
    }
    let out = PathBuf::from(&args[0]);
    let count: usize = args[1].parse()?;
    let secs: f64 = args[2].parse()?;
    let inputs: Vec<gar_io::Decoded> = args[3..]
        .iter()
        .map(|p| gar_io::decode_file(std::path::Path::new(p)))
        .collect::<Result<_, _>>()?;
    std::fs::create_dir_all(&out)?;
    let mut cursor = vec![0usize; inputs.len()];
    let mut round = vec![0usize; inputs.len()];
    for k in 0..count {
        let i = k % inputs.len();
        let d = &inputs[i];
        let len = (secs * f64::from(d.sample_rate)) as usize;
        if len > d.frames {
            return Err(format!("{} is shorter than {secs} s", args[3 + i]).into());
        }
        if cursor[i] + len > d.frames {
            round[i] += 1;
            cursor[i] = (round[i] * len / 4) % len.max(1);
            if cursor[i] + len > d.frames {
                cursor[i] = 0;
            }
        }
        let start = cursor[i];
        cursor[i] += len;
        let spec = hound::WavSpec {
            channels: d.channels.len() as u16,
            sample_rate: d.sample_rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        // Pieces go into ten folders, as a corpus would.
        let dir = out.join(format!("set{}", k % 10));
        std::fs::create_dir_all(&dir)?;
        let mut w = hound::WavWriter::create(dir.join(format!("piece{k:04}.wav")), spec)?;
        for f in start..start + len {
            for c in &d.channels {
                w.write_sample((c[f].clamp(-1.0, 1.0) * 32767.0) as i16)?;
            }
        }
        w.finalize()?;
    }
    println!("{count} pieces of {secs} s in {}", out.display());
    Ok(())
}
