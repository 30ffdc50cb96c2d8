//! The servers, each run in its own process by `ws-bench server <rally|echo|bare>`: it binds
//! 127.0.0.1:0, prints `port N` and serves until its stdin closes.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use futures_util::{SinkExt, StreamExt};
use rally::server::{ConnectionId, ConnectionInfo, Endpoint, Request, WsConfig};
use rally_wire::{ClientFrame, ServerFrame};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::proto;

pub fn main(kind: &str) -> ExitCode {
    if !["rally", "echo", "bare"].contains(&kind) {
        eprintln!("usage: ws-bench server <rally|echo|bare>");
        return ExitCode::from(2);
    }
    crate::sys::raise_nofile();
    // The parent holds our stdin; when it goes away, so do we.
    std::thread::spawn(|| {
        let mut buf = [0u8; 64];
        let mut stdin = std::io::stdin();
        while let Ok(n) = stdin.read(&mut buf) {
            if n == 0 {
                break;
            }
        }
        std::process::exit(0);
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let served = runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let mut out = std::io::stdout();
        writeln!(out, "port {port}")?;
        out.flush()?;
        match kind {
            "rally" => rally(listener).await,
            "echo" => echo(listener).await,
            _ => bare(listener).await,
        }
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{kind} server: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Rally's `/ws` endpoint with the trivial handler and default limits, publishing through the
/// hub `RALLY_HUB` names (the in-process one by default).
async fn rally(listener: TcpListener) -> std::io::Result<()> {
    let mut config = WsConfig::new(proto::CONTRACT);
    config.shutdown_grace = Duration::from_secs(1);
    let env = rally::env::Env::from_pairs(std::env::var("RALLY_HUB").map(|v| ("RALLY_HUB", v)));
    let hub = rally::server::hub::HubConfig::from_env(&env, "ws-bench")
        .map_err(std::io::Error::other)?
        .start();
    let endpoint = Endpoint::with_hub(config, proto::handle, hub);
    // Every load-generator connection comes from 127.0.0.1: the per-address cap (a defence
    // on the open internet) would refuse all but 256 of them.
    let limits = rally::server::HttpLimits {
        max_connections: 50_000,
        max_connections_per_ip: 0,
        ..rally::server::HttpLimits::default()
    };
    rally::server::serve_live_with(
        listener,
        axum::Router::new(),
        Some(endpoint),
        limits,
        std::future::pending(),
    )
    .await
}

/// The practical limit: a bare tokio-tungstenite server that sends every binary message back,
/// with the same socket buffers as Rally's endpoint (4 KiB read buffer, every frame written
/// at once) and the same TCP settings (`TCP_NODELAY` on accepted sockets, as Rally sets).
async fn echo(listener: TcpListener) -> std::io::Result<()> {
    accept_loop(listener, echo_connection).await
}

async fn accept_loop<F, Fut>(listener: TcpListener, serve: F) -> std::io::Result<()>
where
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve(stream));
            }
            // Out of file descriptors and the like: wait a little, as axum does.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// Rally's socket settings: 4 KiB read buffer, every frame written at once, 2 MiB frames.
fn socket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(Some(2 << 20))
        .max_frame_size(Some(2 << 20))
}

async fn echo_connection(stream: TcpStream) {
    let Ok(mut ws) =
        tokio_tungstenite::accept_async_with_config(stream, Some(socket_config())).await
    else {
        return;
    };
    while let Some(Ok(message)) = ws.next().await {
        let sent = match message {
            Message::Binary(bytes) => ws.send(Message::Binary(bytes)).await,
            Message::Close(_) => return,
            _ => Ok(()),
        };
        if sent.is_err() {
            return;
        }
    }
}

type Subscribers = Arc<Mutex<HashMap<u64, mpsc::Sender<Bytes>>>>;

/// The fan-out baseline: the same frames and handler as Rally, on bare tokio-tungstenite with
/// the least a hub can do: the handler runs inline on the connection task, every connection
/// with a non-empty topic set is a subscriber, a publish `try_send`s one shared encoded frame
/// to each subscriber's bounded queue (256) under one mutex. No limits, origin or contract
/// checks, no panic isolation.
async fn bare(listener: TcpListener) -> std::io::Result<()> {
    let subscribers: Subscribers = Arc::default();
    let next_id = Arc::new(AtomicU64::new(1));
    accept_loop(listener, move |stream| {
        bare_connection(
            stream,
            next_id.fetch_add(1, Ordering::Relaxed),
            Arc::clone(&subscribers),
        )
    })
    .await
}

async fn bare_connection(stream: TcpStream, id: u64, subscribers: Subscribers) {
    let Ok(mut ws) =
        tokio_tungstenite::accept_async_with_config(stream, Some(socket_config())).await
    else {
        return;
    };
    let (push_tx, mut pushes) = mpsc::channel::<Bytes>(256);
    let info = ConnectionInfo {
        id: ConnectionId(id),
        headers: HeaderMap::new(),
    };
    loop {
        let sent = tokio::select! {
            biased;
            Some(push) = pushes.recv() => ws.send(Message::Binary(push)).await,
            incoming = ws.next() => {
                let bytes = match incoming {
                    Some(Ok(Message::Binary(bytes))) => bytes,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                    Some(Ok(_)) => continue,
                };
                match rally_wire::decode::<ClientFrame>(&bytes) {
                    Ok(ClientFrame::Topics(topics)) => {
                        let mut subs = subscribers.lock().unwrap_or_else(|p| p.into_inner());
                        if topics.is_empty() {
                            subs.remove(&id);
                        } else {
                            subs.insert(id, push_tx.clone());
                        }
                        Ok(())
                    }
                    Ok(ClientFrame::Request(request)) => {
                        let reply = proto::handle(Request {
                            connection: &info,
                            page: &request.page,
                            message: &request.message,
                        });
                        let frame = match reply.result {
                            Ok(payload) => ServerFrame::ok(request.id, payload),
                            Err(errors) => ServerFrame::err(request.id, errors),
                        };
                        let sent = ws.send(Message::Binary(rally_wire::encode(&frame).into())).await;
                        if let Some(publish) = reply.publish {
                            let push = Bytes::from(rally_wire::encode(&ServerFrame::Push {
                                topic: publish.topics.first().cloned().unwrap_or_default(),
                                event: publish.event,
                            }));
                            let subs = subscribers.lock().unwrap_or_else(|p| p.into_inner());
                            for (&other, queue) in subs.iter() {
                                if other != id {
                                    let _ = queue.try_send(push.clone());
                                }
                            }
                        }
                        sent
                    }
                    Err(_) => Ok(()),
                }
            }
        };
        if sent.is_err() {
            break;
        }
    }
    subscribers
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&id);
}
