//! The starter's app context over a real socket: the server built as `cargo rally server`
//! builds it (the generated `build()`), with `COUNTER_STEP` read into the context at startup and
//! used by every save; a bad value stops startup with an error naming the file and the variable.
#![cfg(feature = "server")]

use futures_util::{SinkExt, StreamExt};
use rally::server::ServerConfig;
use rally::server::app::App;
use rally::wire::{ClientFrame, Request, ServerFrame};
use starter::public::pages::home_::{Change, CounterUpdate, LoadResult, ServerMsg};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

fn app(env: &[(&str, &str)]) -> App {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let template =
        rally::test_db::Template::seeded(&root.join("db/migrations"), Some(&root.join("db/seeds")))
            .expect("migrate and seed");
    App {
        env: rally::env::Env::from_pairs(env.iter().copied()),
        db: template.db().expect("a database"),
        config: ServerConfig::local("127.0.0.1:0".parse().unwrap()),
        security: rally::server::Security::development(),
        assets: root.join("assets"),
        bundles: std::env::temp_dir().join("starter-test-no-bundles"),
        hub: rally::server::hub::HubConfig::Local,
        render: rally::server::PoolConfig::default(),
    }
}

async fn roundtrip<T: serde::de::DeserializeOwned>(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    id: u32,
    msg: &ServerMsg,
) -> T {
    let frame = ClientFrame::Request(Request {
        id,
        page: "public/pages/home_".into(),
        message: rally::wire::encode(msg),
    });
    ws.send(Message::Binary(rally::wire::encode(&frame).into()))
        .await
        .unwrap();
    loop {
        let message = tokio::time::timeout(std::time::Duration::from_secs(5), ws.next())
            .await
            .expect("an answer within 5 s")
            .expect("the connection is open")
            .expect("read");
        let Message::Binary(bytes) = message else {
            continue;
        };
        match rally::wire::decode::<ServerFrame>(&bytes).expect("a frame") {
            ServerFrame::Result {
                id: got,
                result: Ok(payload),
            } if got == id => return rally::wire::decode(&payload.0).expect("the result"),
            ServerFrame::Push { .. } => continue,
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saves_move_the_count_by_the_step_the_context_read_at_startup() {
    let (builder, pages, endpoint) =
        starter::generated::rally::app::build(app(&[("COUNTER_STEP", "5")])).expect("builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(builder.serve_until(listener, pages, endpoint, async move {
        let _ = stopped.await;
    }));

    let contract = starter::generated::rally::contract::CONTRACT;
    let mut request = format!("ws://{addr}/ws?contract={contract}")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "origin",
        HeaderValue::from_str(&format!("http://{addr}")).unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let loaded: LoadResult = roundtrip(&mut ws, 1, &ServerMsg::Load).await;
    let saved: CounterUpdate = roundtrip(&mut ws, 2, &ServerMsg::Save(Change::Increment)).await;
    assert_eq!(saved.count, loaded.count + 5);
    let saved: CounterUpdate = roundtrip(&mut ws, 3, &ServerMsg::Save(Change::Decrement)).await;
    assert_eq!(saved.count, loaded.count);

    let _ = stop.send(());
    served.await.unwrap().unwrap();
}

#[test]
fn a_bad_step_stops_startup_naming_the_file_and_the_variable() {
    let err = match starter::generated::rally::app::build(app(&[("COUNTER_STEP", "lots")])) {
        Ok(_) => panic!("a bad COUNTER_STEP must not start the server"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.starts_with("cannot build the app's context (src/context.rs): ")
            && err.contains("COUNTER_STEP")
            && err.contains("lots"),
        "{err}"
    );
}
