//! The page, its modules and its style, embedded in the binary at build time
//! (`include_dir`: no file is read from disk at run time, and no build step
//! is needed: plain JavaScript modules).

use include_dir::{Dir, include_dir};

static ASSETS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/assets");

/// An embedded file by its name (`index.html`, `js/app.js`), with its type.
pub fn get(name: &str) -> Option<(&'static [u8], &'static str)> {
    let f = ASSETS.get_file(name)?;
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    let ty = match ext {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        _ => "application/octet-stream",
    };
    Some((f.contents(), ty))
}
