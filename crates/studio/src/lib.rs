//! gar studio: a local web application served by the `gar` binary, where a
//! sound designer picks a sound and a preset, moves any parameter of the
//! parameter table and hears and sees the result as soon as the engine has it.
//!
//! The layout follows the request's path: [`security`] (the rules every
//! request passes first: Host, token, Origin), [`http`] (routes and
//! responses, one panic boundary per request), [`store`] (the sounds and
//! renders kept, with their limits), [`render`] (from a request's parameters
//! to the WAV, the report and the command line, through the same gar-core
//! calls as `gar render`), [`view`] (what the page draws), [`source`] (the one
//! decoding entry point) and [`assets`] (the page, embedded). The HTTP API is
//! documented in `docs/studio.md`.

pub mod assets;
pub mod http;
pub mod render;
pub mod security;
pub mod source;
pub mod store;
pub mod view;
pub mod wav;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

/// Where a sound comes from when the studio starts.
#[derive(Clone, Debug)]
pub enum SoundInput {
    /// A file named on the command line (read once, at start).
    File(PathBuf),
    /// Bytes built into the binary (the demo sound), with a display name and
    /// the format's extension.
    Bytes {
        name: String,
        ext: String,
        bytes: &'static [u8],
    },
}

/// The memory limits of a studio session (every refusal says which one).
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest upload, bytes.
    pub max_upload_bytes: u64,
    /// Largest decoded sound (4 bytes per sample), bytes.
    pub max_decoded_bytes: u64,
    /// Sounds held at once (the oldest upload makes room for a new one).
    pub max_sounds: usize,
    /// Decoded audio held at once, bytes, all sounds together.
    pub max_total_sound_bytes: u64,
    /// Renders kept in the history.
    pub max_renders: usize,
    /// The rendered WAV files kept in memory, bytes in all; an older render
    /// past this keeps its parameters and is rendered again when asked for.
    /// A quarter more may be held as buffers for the next renders to reuse.
    pub max_audio_bytes: u64,
    /// Renders whose output is kept in memory (the newest; older ones are
    /// rendered again when asked for, and their buffers serve new renders).
    pub max_audio_renders: usize,
    /// Largest output of one render (4 bytes per sample before encoding).
    pub max_output_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_upload_bytes: 512 << 20,
            max_decoded_bytes: 1 << 30,
            max_sounds: 8,
            max_total_sound_bytes: 2 << 30,
            max_renders: 16,
            max_audio_bytes: 1 << 30,
            max_audio_renders: 2,
            max_output_bytes: 1 << 30,
        }
    }
}

/// How to start a studio.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to bind; `127.0.0.1` unless the user asked otherwise.
    pub listen: SocketAddr,
    pub sounds: Vec<SoundInput>,
    pub limits: Limits,
    /// The URL token; `None` draws 128 random bits.
    pub token: Option<String>,
    /// Worker threads answering requests (a media player may hold one
    /// while it streams a WAV at its own pace).
    pub threads: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            sounds: Vec::new(),
            limits: Limits::default(),
            token: None,
            threads: 16,
        }
    }
}

/// Why a studio could not start.
#[derive(Debug)]
pub enum StartError {
    /// A file named on the command line cannot be used.
    Sound { name: String, message: String },
    /// The address cannot be bound.
    Bind { addr: SocketAddr, message: String },
    /// No random token could be drawn.
    Token(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Sound { name, message } => write!(f, "{name}: {message}"),
            StartError::Bind { addr, message } => write!(f, "cannot listen on {addr}: {message}"),
            StartError::Token(e) => write!(f, "cannot draw a random token: {e}"),
        }
    }
}

impl std::error::Error for StartError {}

/// A running studio: its URL, and the threads serving it.
pub struct Studio {
    server: Arc<tiny_http::Server>,
    workers: Vec<std::thread::JoinHandle<()>>,
    addr: SocketAddr,
    token: String,
    /// The session's state (for tests and the binary's messages).
    pub state: Arc<http::State>,
}

impl Studio {
    /// Loads the sounds, binds the address and starts the workers.
    pub fn start(config: Config) -> Result<Studio, StartError> {
        let token = match config.token {
            Some(t) => t,
            None => security::new_token().map_err(StartError::Token)?,
        };
        let store = store::Store::new(config.limits.clone());
        for s in &config.sounds {
            let (name, decoded, origin) = match s {
                SoundInput::File(p) => {
                    let d =
                        source::decode_file(p, &config.limits).map_err(|e| StartError::Sound {
                            name: p.display().to_string(),
                            message: e,
                        })?;
                    let shown = std::fs::canonicalize(p)
                        .or_else(|_| std::path::absolute(p))
                        .unwrap_or_else(|_| p.clone());
                    (
                        file_name(p),
                        d,
                        store::Origin::File(shown.display().to_string()),
                    )
                }
                SoundInput::Bytes { name, ext, bytes } => {
                    let d = source::decode_bytes(bytes.to_vec(), Some(ext), &config.limits)
                        .map_err(|e| StartError::Sound {
                            name: name.clone(),
                            message: e,
                        })?;
                    (name.clone(), d, store::Origin::BuiltIn)
                }
            };
            store
                .add_sound(name.clone(), decoded, origin)
                .map_err(|e| StartError::Sound { name, message: e })?;
        }
        let bind_err = |e: &dyn std::fmt::Display| StartError::Bind {
            addr: config.listen,
            message: e.to_string(),
        };
        let server = tiny_http::Server::from_listener(
            listen(config.listen).map_err(|e| bind_err(&e))?,
            None,
        )
        .map_err(|e| bind_err(&e))?;
        let addr = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| StartError::Bind {
                addr: config.listen,
                message: "not an IP address".into(),
            })?;
        let server = Arc::new(server);
        let state = Arc::new(http::State {
            guard: security::Guard::new(&token, addr),
            store,
        });
        let workers = (0..config.threads.max(1))
            .map(|_| {
                let server = server.clone();
                let state = state.clone();
                std::thread::spawn(move || http::serve(&server, &state))
            })
            .collect();
        Ok(Studio {
            server,
            workers,
            addr,
            token,
            state,
        })
    }

    /// The address bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The page's URL (the token is its first path segment; every request
    /// needs it).
    pub fn url(&self) -> String {
        let host = if self.addr.ip().is_unspecified() || self.addr.ip().is_loopback() {
            format!("127.0.0.1:{}", self.addr.port())
        } else {
            self.addr.to_string()
        };
        format!("http://{host}/{}/", self.token)
    }

    /// Serves until the process ends.
    pub fn wait(self) {
        for w in self.workers {
            let _ = w.join();
        }
    }

    /// Stops the workers and closes the socket.
    pub fn shutdown(self) {
        for _ in &self.workers {
            self.server.unblock();
        }
        for w in self.workers {
            let _ = w.join();
        }
    }
}

/// The listening socket, with `TCP_NODELAY` (the accepted connections
/// inherit it): tiny_http writes a response in pieces, and without it the
/// last piece of every answer waits for the browser's delayed ACK (40 ms on
/// Linux), a third of the time from a change to a playable result.
fn listen(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    let s = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    s.set_reuse_address(true)?;
    s.set_tcp_nodelay(true)?;
    s.bind(&addr.into())?;
    s.listen(128)?;
    Ok(s.into())
}

fn file_name(p: &std::path::Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}
