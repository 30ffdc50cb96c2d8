//! Talking to a Scoreboard `/ws` endpoint as a browser tab would, over tokio-tungstenite:
//! frames out, frames in, and what a result or push holds.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rally::wire::{ApiError, ClientFrame, Request, ServerFrame};
use scoreboard::admin::pages::games as desk;
use scoreboard::broadcasts::Event;
use scoreboard::public::pages::games;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A tab's socket.
pub type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The public games page.
pub const PUBLIC_GAMES: &str = "public/pages/games";
/// The score desk.
pub const ADMIN_GAMES: &str = "admin/pages/games";

/// How long a connection must stay silent to count as "received nothing".
pub const QUIET: Duration = Duration::from_millis(300);

pub async fn send(client: &mut Client, frame: &ClientFrame) {
    client
        .send(Message::Binary(rally::wire::encode(frame).into()))
        .await
        .unwrap();
}

pub async fn request(client: &mut Client, id: u32, page: &str, msg: &impl Serialize) {
    let frame = ClientFrame::Request(Request {
        id,
        page: page.into(),
        message: rally::wire::encode(msg),
    });
    send(client, &frame).await;
}

/// Replaces the connection's topics, and waits until the server has applied them: a
/// connection handles its frames in order, so once a later load is answered the topic set is in
/// force.
pub async fn subscribe(client: &mut Client, topics: &[&str], barrier_id: u32) {
    send(
        client,
        &ClientFrame::Topics(topics.iter().map(|t| t.to_string()).collect()),
    )
    .await;
    request(client, barrier_id, PUBLIC_GAMES, &games::ServerMsg::Load).await;
    let _: games::LoadResult = ok(next(client).await, barrier_id);
}

/// The next protocol frame (pings skipped), failing after 5 s.
pub async fn next(client: &mut Client) -> ServerFrame {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), client.next())
            .await
            .expect("no frame within 5 s")
            .expect("the connection ended")
            .expect("read failed");
        match message {
            Message::Binary(bytes) => {
                return rally::wire::decode(&bytes).expect("server frames decode");
            }
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected message {other:?}"),
        }
    }
}

/// Fails if a frame arrives within [`QUIET`].
pub async fn assert_quiet(client: &mut Client, who: &str) {
    if let Ok(message) = tokio::time::timeout(QUIET, client.next()).await {
        panic!("{who} should have received nothing, got {message:?}");
    }
}

/// The decoded `Ok` payload of the result for request `id`.
pub fn ok<T: DeserializeOwned>(frame: ServerFrame, id: u32) -> T {
    match frame {
        ServerFrame::Result {
            id: got,
            result: Ok(payload),
        } if got == id => rally::wire::decode(&payload.0).expect("the result decodes"),
        other => panic!("expected an Ok result for request {id}, got {other:?}"),
    }
}

/// The errors of the result for request `id`.
pub fn errors(frame: ServerFrame, id: u32) -> Vec<ApiError> {
    match frame {
        ServerFrame::Result {
            id: got,
            result: Err(errors),
        } if got == id => errors,
        other => panic!("expected a failed result for request {id}, got {other:?}"),
    }
}

pub fn push(frame: ServerFrame) -> (String, Event) {
    match frame {
        ServerFrame::Push { topic, event } => (
            topic,
            rally::wire::decode(&event).expect("the event decodes as the app's Event"),
        ),
        other => panic!("expected a push, got {other:?}"),
    }
}

pub fn score_save(game_id: i64, home_score: i64, away_score: i64) -> desk::ServerMsg {
    desk::ServerMsg::UpdateScore {
        game_id,
        home_score,
        away_score,
        period: "3rd".into(),
    }
}
