//! Round trips of every frame kind, and hostile bytes.

use proptest::prelude::*;
use rally_wire::{
    ApiError, ClientFrame, DecodeError, LimitKind, Limits, Request, ServerFrame, decode,
    decode_from_server, decode_with, encode,
};
use serde::{Deserialize, Serialize};

fn round_trip<T: Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(v: T) {
    let bytes = encode(&v);
    assert_eq!(decode::<T>(&bytes).unwrap(), v);
}

#[test]
fn every_frame_kind_round_trips() {
    round_trip(ClientFrame::Request(Request {
        id: u32::MAX,
        page: "public/pages/games/id_".into(),
        message: vec![0, 1, 2, 255],
    }));
    round_trip(ClientFrame::Topics(vec![
        "games".into(),
        "team:montréal-meteors".into(),
    ]));
    round_trip(ClientFrame::Topics(vec![]));
    round_trip(ServerFrame::ok(7, vec![9; 1000]));
    round_trip(ServerFrame::err(
        8,
        vec![
            ApiError::Load {
                message: "gone".into(),
            },
            ApiError::Save {
                field: Some("name".into()),
                message: "taken".into(),
            },
            ApiError::Save {
                field: None,
                message: "no".into(),
            },
            ApiError::Unauthorized,
            ApiError::Internal {
                trace_id: "abc123".into(),
            },
            ApiError::Timeout,
            ApiError::ContractMismatch,
            ApiError::BadRequest {
                reason: "what".into(),
            },
            ApiError::LimitExceeded {
                limit: LimitKind::InFlight,
                max: 32,
            },
        ],
    ));
    round_trip(ServerFrame::Push {
        topic: "game:1".into(),
        event: vec![1, 2, 3],
    });
    round_trip(ServerFrame::Reload {
        reason: "new build".into(),
    });
    round_trip(ServerFrame::Error(ApiError::LimitExceeded {
        limit: LimitKind::Topics,
        max: 64,
    }));
}

#[test]
fn the_encoding_is_pinned() {
    // A change here changes the protocol: bump PROTOCOL_VERSION and say so in docs/protocol.md.
    let frame = ClientFrame::Request(Request {
        id: 300,
        page: "p".into(),
        message: vec![7],
    });
    assert_eq!(encode(&frame), [0, 0xac, 0x02, 1, b'p', 1, 7]);
    assert_eq!(
        encode(&ClientFrame::Topics(vec!["t".into()])),
        [1, 1, 1, b't']
    );
    assert_eq!(encode(&ServerFrame::ok(1, vec![5])), [0, 1, 0, 1, 5]);
}

#[test]
fn empty_truncated_unknown_and_trailing_input_are_refused() {
    assert_eq!(decode::<ClientFrame>(&[]), Err(DecodeError::Truncated));
    let full = encode(&ClientFrame::Topics(vec!["games".into()]));
    for cut in 0..full.len() {
        assert!(
            decode::<ClientFrame>(&full[..cut]).is_err(),
            "prefix of {cut} bytes decoded"
        );
    }
    assert!(matches!(
        decode::<ClientFrame>(&[9]),
        Err(DecodeError::Malformed(_))
    ));
    let mut long = full.clone();
    long.push(0);
    assert_eq!(
        decode::<ClientFrame>(&long),
        Err(DecodeError::TrailingBytes(1))
    );
}

#[test]
fn oversized_input_is_refused_before_decoding() {
    let limits = Limits {
        max_bytes: 16,
        ..Limits::DEFAULT
    };
    let frame = encode(&ClientFrame::Topics(vec!["x".repeat(40)]));
    assert_eq!(
        decode_with::<ClientFrame>(&frame, limits),
        Err(DecodeError::TooLarge {
            len: frame.len(),
            max: 16
        })
    );
}

#[test]
fn a_huge_claimed_length_does_not_allocate_it() {
    // Topics claiming 2^32-1 strings in a 6-byte frame: fails on the missing bytes.
    let bytes = [1, 0xff, 0xff, 0xff, 0xff, 0x0f];
    assert_eq!(decode::<ClientFrame>(&bytes), Err(DecodeError::Truncated));
    // Zero-sized elements consume no input; the element bound stops the loop instead.
    let limits = Limits {
        max_len: 1000,
        ..Limits::DEFAULT
    };
    assert_eq!(
        decode_with::<Vec<()>>(&[0xff, 0xff, 0xff, 0xff, 0x0f], limits),
        Err(DecodeError::TooLong { max: 1000 })
    );
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Tree {
    Leaf,
    Node(Box<Tree>),
    Pair {
        left: Option<Box<Tree>>,
        right: Vec<Tree>,
    },
}

#[test]
fn deep_nesting_is_refused_without_recursing_further() {
    // 100,000 levels would overflow the stack without the depth bound.
    let mut bytes = vec![1u8; 100_000];
    bytes.push(0);
    assert_eq!(
        decode::<Tree>(&bytes),
        Err(DecodeError::TooDeep { max: 128 })
    );
    let mut options = Vec::new();
    for _ in 0..50_000 {
        options.extend([2, 1]);
    }
    assert_eq!(
        decode::<Tree>(&options),
        Err(DecodeError::TooDeep { max: 128 })
    );
}

#[test]
fn nesting_within_the_limit_decodes() {
    let mut tree = Tree::Leaf;
    for _ in 0..60 {
        tree = Tree::Node(Box::new(tree));
    }
    let tree = Tree::Pair {
        left: Some(Box::new(tree)),
        right: vec![Tree::Leaf],
    };
    round_trip(tree);
}

fn arb_api_error() -> impl Strategy<Value = ApiError> {
    prop_oneof![
        any::<String>().prop_map(|message| ApiError::Load { message }),
        (any::<Option<String>>(), any::<String>())
            .prop_map(|(field, message)| ApiError::Save { field, message }),
        Just(ApiError::Unauthorized),
        "[a-f0-9]{16}".prop_map(|trace_id| ApiError::Internal { trace_id }),
        Just(ApiError::Timeout),
        Just(ApiError::ContractMismatch),
        Just(ApiError::Disconnected),
        any::<String>().prop_map(|reason| ApiError::BadRequest { reason }),
        any::<u64>().prop_map(|max| ApiError::LimitExceeded {
            limit: LimitKind::FrameBytes,
            max
        }),
    ]
}

fn arb_server_frame() -> impl Strategy<Value = ServerFrame> {
    prop_oneof![
        (any::<u32>(), any::<Vec<u8>>()).prop_map(|(id, p)| ServerFrame::ok(id, p)),
        (any::<u32>(), prop::collection::vec(arb_api_error(), 0..4))
            .prop_map(|(id, e)| ServerFrame::err(id, e)),
        (any::<String>(), any::<Vec<u8>>())
            .prop_map(|(topic, event)| ServerFrame::Push { topic, event }),
        any::<String>().prop_map(|reason| ServerFrame::Reload { reason }),
        arb_api_error().prop_map(ServerFrame::Error),
    ]
}

fn arb_client_frame() -> impl Strategy<Value = ClientFrame> {
    prop_oneof![
        (any::<u32>(), any::<String>(), any::<Vec<u8>>())
            .prop_map(|(id, page, message)| ClientFrame::Request(Request { id, page, message })),
        any::<Vec<String>>().prop_map(ClientFrame::Topics),
    ]
}

proptest! {
    #[test]
    fn client_frames_round_trip(frame in arb_client_frame()) {
        prop_assert_eq!(decode::<ClientFrame>(&encode(&frame)), Ok(frame));
    }

    #[test]
    fn server_frames_round_trip(frame in arb_server_frame()) {
        prop_assert_eq!(decode::<ServerFrame>(&encode(&frame)), Ok(frame.clone()));
        prop_assert_eq!(decode_from_server::<ServerFrame>(&encode(&frame)), Ok(frame));
    }
}

#[test]
fn the_browser_decoder_refuses_what_the_server_decoder_refuses_but_the_budget() {
    assert_eq!(
        decode_from_server::<ServerFrame>(&[]),
        Err(DecodeError::Truncated)
    );
    let full = encode(&ServerFrame::Reload {
        reason: "deployed".into(),
    });
    for cut in 0..full.len() {
        assert!(
            decode_from_server::<ServerFrame>(&full[..cut]).is_err(),
            "prefix of {cut} bytes decoded"
        );
    }
    assert!(matches!(
        decode_from_server::<ServerFrame>(&[9]),
        Err(DecodeError::Malformed(_))
    ));
    let mut long = full.clone();
    long.push(0);
    assert_eq!(
        decode_from_server::<ServerFrame>(&long),
        Err(DecodeError::TrailingBytes(1))
    );
    // Nesting past the servers' depth limit: only the server's decoder refuses it.
    let mut deep: Option<Box<Nested>> = None;
    for _ in 0..200 {
        deep = Some(Box::new(Nested(deep)));
    }
    let bytes = encode(&deep);
    assert!(matches!(
        decode::<Option<Box<Nested>>>(&bytes),
        Err(DecodeError::TooDeep { .. })
    ));
    assert_eq!(decode_from_server::<Option<Box<Nested>>>(&bytes), Ok(deep));
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Nested(Option<Box<Nested>>);

#[test]
fn decode_errors_say_the_same_through_display_and_without_core_fmt() {
    use rally_wire::message::Message;
    let cases = [
        (
            DecodeError::TooLarge {
                len: 2_000_000,
                max: 1_048_576,
            },
            "frame of 2000000 bytes exceeds the limit of 1048576 bytes",
        ),
        (
            DecodeError::TooDeep { max: 128 },
            "value nested deeper than 128 levels",
        ),
        (
            DecodeError::TooLong { max: 1 },
            "collection longer than 1 elements",
        ),
        (DecodeError::Truncated, "input ended unexpectedly"),
        (
            DecodeError::TrailingBytes(3),
            "3 unexpected bytes after the value",
        ),
        (
            DecodeError::Malformed("not a bool".into()),
            "malformed input: not a bool",
        ),
    ];
    for (error, text) in cases {
        assert_eq!(error.to_string(), text);
        assert_eq!(error.message(), text);
    }
}
