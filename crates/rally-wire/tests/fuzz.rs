//! Random and mutated bytes never panic the decoder. The budget is `RALLY_FUZZ_CASES` (default
//! 2,000 per property; CI runs it briefly, `RALLY_FUZZ_CASES=1000000` for a long session).

use proptest::prelude::*;
use proptest::test_runner::Config;
use rally_wire::{
    ClientFrame, DecodeError, Request, ServerFrame, decode, decode_from_server, encode,
};

fn cases() -> u32 {
    std::env::var("RALLY_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

fn seeds() -> Vec<Vec<u8>> {
    vec![
        encode(&ClientFrame::Request(Request {
            id: 1,
            page: "a/b".into(),
            message: vec![1, 2],
        })),
        encode(&ClientFrame::Topics(vec!["games".into(), "game:1".into()])),
        encode(&ServerFrame::ok(3, vec![4, 5, 6])),
        encode(&ServerFrame::Push {
            topic: "t".into(),
            event: vec![0; 8],
        }),
    ]
}

/// Decoding arbitrary bytes ends in a value or a defined error; it never panics.
fn survives(bytes: &[u8]) -> Result<(), TestCaseError> {
    let errors = [
        decode::<ClientFrame>(bytes).err(),
        decode::<ServerFrame>(bytes).err(),
        decode_from_server::<ServerFrame>(bytes).err(),
    ];
    for err in errors.into_iter().flatten() {
        prop_assert!(!err.to_string().is_empty());
        if bytes.is_empty() {
            prop_assert_eq!(err, DecodeError::Truncated);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(Config { cases: cases(), ..Config::default() })]

    #[test]
    fn random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        survives(&bytes)?;
    }

    #[test]
    fn mutated_frames(seed in 0usize..4, flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..6)) {
        let mut bytes = seeds()[seed].clone();
        for (at, value) in flips {
            let i = at % bytes.len();
            bytes[i] = value;
        }
        survives(&bytes)?;
    }
}
