//! The contract fingerprint: canonical, order-independent, sensitive to every wire change.
#![cfg(feature = "contract")]

use rally_wire::Fingerprint;
use rally_wire::contract::{Contract, ContractError, Fields, Ty, TypeDef};

fn game_def(fields: Vec<(&str, Ty)>) -> TypeDef {
    TypeDef::Struct(Fields::Named(
        fields.into_iter().map(|(n, t)| (n.to_owned(), t)).collect(),
    ))
}

fn games_contract(reverse: bool) -> Contract {
    let game = game_def(vec![
        ("id", Ty::Int("i64")),
        ("home", Ty::Option(Box::new(Ty::String))),
    ]);
    games_contract_with(reverse, game)
}

fn games_contract_with(reverse: bool, game: TypeDef) -> Contract {
    let mut types = vec![
        (
            "public::pages::games::ServerMsg",
            TypeDef::Enum(vec![
                ("Load".into(), Fields::Unit),
                (
                    "Rename".into(),
                    Fields::Named(vec![
                        ("id".into(), Ty::Int("i64")),
                        ("name".into(), Ty::String),
                    ]),
                ),
            ]),
        ),
        ("public::pages::games::Game", game),
        (
            "broadcasts::Event",
            TypeDef::Enum(vec![(
                "Updated".into(),
                Fields::Tuple(vec![Ty::named("public::pages::games::Game")]),
            )]),
        ),
    ];
    if reverse {
        types.reverse();
    }
    let mut c = Contract::new();
    for (path, def) in types {
        c.define(path, def).unwrap();
    }
    let pages = [
        ("public/pages/games", "public::pages::games::ServerMsg"),
        ("admin/pages/games", "public::pages::games::ServerMsg"),
    ];
    let results = vec![Ty::List(Box::new(Ty::named("public::pages::games::Game")))];
    if reverse {
        pages.iter().rev().for_each(|(p, m)| {
            c.page(*p, Ty::named(*m), results.clone());
        });
    } else {
        pages.iter().for_each(|(p, m)| {
            c.page(*p, Ty::named(*m), results.clone());
        });
    }
    c.push(Ty::named("broadcasts::Event"));
    c
}

#[test]
fn the_fingerprint_does_not_depend_on_discovery_order() {
    assert_eq!(
        games_contract(false).fingerprint(),
        games_contract(true).fingerprint()
    );
    assert_eq!(
        games_contract(false).canonical(),
        games_contract(true).canonical()
    );
}

#[test]
fn the_canonical_text_and_fingerprint_are_pinned() {
    let c = games_contract(false);
    assert_eq!(
        c.canonical().unwrap(),
        "rally-wire/1\n\
         page admin/pages/games <public::pages::games::ServerMsg> -> list<<public::pages::games::Game>>\n\
         page public/pages/games <public::pages::games::ServerMsg> -> list<<public::pages::games::Game>>\n\
         push <broadcasts::Event>\n\
         type broadcasts::Event = enum[Updated(<public::pages::games::Game>)]\n\
         type public::pages::games::Game = struct{id:i64,home:option<string>}\n\
         type public::pages::games::ServerMsg = enum[Load,Rename{id:i64,name:string}]\n"
    );
    // SHA-256 of the text above, cross-checked with `sha256sum`.
    let fp = c.fingerprint().unwrap();
    assert_eq!(fp, fp.to_string().parse::<Fingerprint>().unwrap());
    assert_eq!(fp, PINNED);
}

const PINNED: Fingerprint =
    Fingerprint::from_hex("c267597cf9c397f0486181fda5d06801bfa91d54c407c96a36bfc8a6dcfb047e");

#[test]
fn every_wire_change_changes_the_fingerprint() {
    let base = games_contract(false).fingerprint().unwrap();
    let game = |fields| {
        games_contract_with(false, game_def(fields))
            .fingerprint()
            .unwrap()
    };
    let opt = || Ty::Option(Box::new(Ty::String));
    let changed = [
        game(vec![("id", Ty::Int("i32")), ("home", opt())]), // field type
        game(vec![("home", opt()), ("id", Ty::Int("i64"))]), // field order
        game(vec![("key", Ty::Int("i64")), ("home", opt())]), // field name
        game(vec![("id", Ty::Int("i64")), ("home", Ty::String)]), // nullability
        game(vec![("id", Ty::Int("i64"))]),                  // a field removed
    ];
    for (i, fp) in changed.iter().enumerate() {
        assert_ne!(*fp, base, "change {i} kept the fingerprint");
    }
    let mut other_page = games_contract(false);
    other_page.page("public/pages/teams", Ty::Unit, vec![]);
    assert_ne!(other_page.fingerprint().unwrap(), base);
}

#[test]
fn an_undefined_type_is_reported_with_its_user() {
    let mut c = Contract::new();
    c.page(
        "public/pages/home_",
        Ty::named("public::pages::home_::ServerMsg"),
        vec![],
    );
    assert_eq!(
        c.fingerprint(),
        Err(ContractError::Undefined {
            name: "public::pages::home_::ServerMsg".into(),
            used_by: "page public/pages/home_".into()
        })
    );
}

#[test]
fn a_conflicting_redefinition_is_an_error() {
    let mut c = Contract::new();
    c.define("a::T", TypeDef::Struct(Fields::Unit)).unwrap();
    c.define("a::T", TypeDef::Struct(Fields::Unit)).unwrap();
    assert_eq!(
        c.define("a::T", TypeDef::Struct(Fields::Tuple(vec![Ty::Bool])))
            .err(),
        Some(ContractError::Conflict("a::T".into()))
    );
}

#[test]
fn fingerprints_parse_and_print_as_64_hex_digits() {
    let hex = "00ff".repeat(16);
    let fp: Fingerprint = hex.parse().unwrap();
    assert_eq!(fp.to_string(), hex);
    assert_eq!(hex.to_uppercase().parse::<Fingerprint>().unwrap(), fp);
    assert!("abc".parse::<Fingerprint>().is_err());
    assert!("g".repeat(64).parse::<Fingerprint>().is_err());
}
