//! `/sign_in`: ask for a code, then sign in with email and code. Both forms post to Rally's
//! sign-in routes, so the page works without JavaScript and loads nothing.

use rally::page::Head;
use rally::routes::QueryParams;
use rally::view::attribute::{
    action, autocomplete, class, for_, id, method, name, placeholder, required, type_, value,
};
use rally::view::html::{button, form, h1, input, label, main, p, section, text};
use rally::view::{Effect, Element};

use crate::auth::after_sign_in;
use crate::identity::display_label;
use crate::public::SharedState;

/// What the page shows, all from the query and the request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model {
    /// Where to go after signing in (`?return_to=`, narrowed to the score desk).
    pub return_to: String,
    /// `?error=invalid`: the last attempt failed.
    pub invalid: bool,
    /// `?sent=1`: a code was asked for.
    pub sent: bool,
    /// Who is signed in already, if anyone, and whether they may open the score desk.
    pub signed_in: Option<(String, bool)>,
    /// The demo code to show (development only).
    pub demo_code: Option<String>,
}

/// Nothing happens here: the forms post to the server.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {}

/// Reads `return_to`, `error` and `sent`.
pub fn initial_model(shared: &SharedState, query: &QueryParams) -> Model {
    Model {
        return_to: after_sign_in(query.get("return_to").unwrap_or("/admin/games")),
        invalid: query.get("error") == Some("invalid"),
        sent: query.get("sent") == Some("1"),
        signed_in: shared
            .authentication_context
            .as_ref()
            .map(|user| (display_label(user).to_owned(), shared.can_access_admin)),
        demo_code: shared.demo_code.clone(),
    }
}

/// In the browser, on boot and on every navigation here: the model, and the keyboard focus
/// in the field to fill in next (the code's email once a code was sent).
pub fn init(shared: &SharedState, query: &QueryParams) -> (Model, Effect<Message>) {
    let model = initial_model(shared, query);
    let field = if model.sent { "#code-email" } else { "#email" };
    (model, rally::effect::focus(field))
}

/// The tab's title.
pub fn head(_model: &Model) -> Head {
    Head::title("Sign in · Scoreboard")
}

/// Nothing to update.
pub fn update(_model: &mut Model, msg: Message) -> Effect<Message> {
    match msg {}
}

fn return_to_field(model: &Model) -> Element<Message> {
    input([
        type_("hidden"),
        name("return_to"),
        value(model.return_to.clone()),
    ])
}

fn field(
    label_text: &str,
    field_id: &str,
    field_name: &str,
    kind: &str,
    complete: &str,
    hint: &str,
) -> Vec<Element<Message>> {
    vec![
        label(
            vec![for_(field_id.to_owned())],
            vec![text(label_text.to_owned())],
        ),
        input(vec![
            id(field_id.to_owned()),
            name(field_name.to_owned()),
            type_(kind.to_owned()),
            autocomplete(complete.to_owned()),
            placeholder(hint.to_owned()),
            required(true),
        ]),
    ]
}

/// The two forms: send a code, then sign in with it.
pub fn view(model: &Model) -> Element<Message> {
    let mut children = vec![
        h1([], [text("Sign in")]),
        p(
            [class("muted")],
            [text(
                "Ask for a code, then enter it to open the score desk.",
            )],
        ),
    ];
    if let Some(code) = &model.demo_code {
        children.push(p(
            [class("muted demo-hint")],
            [text(format!(
                "Demo accounts: admin@example.com (score desk) and fan@example.com; the code is {code} for both."
            ))],
        ));
    }
    if let Some((who, can_access_admin)) = &model.signed_in {
        let note = if *can_access_admin {
            format!("You are signed in as {who}.")
        } else {
            format!("You are signed in as {who}, who cannot open the score desk.")
        };
        children.push(p([class("muted signed-in-note")], [text(note)]));
    }
    if model.sent {
        children.push(p(
            [class("muted")],
            [text("If that email is known, the sign-in code was sent.")],
        ));
    }
    if model.invalid {
        children.push(p([class("auth-error")], [text("Invalid sign-in code.")]));
    }
    let mut send = vec![return_to_field(model)];
    send.extend(field(
        "Email",
        "email",
        "email",
        "email",
        "email",
        "admin@example.com",
    ));
    send.push(button([type_("submit")], [text("Send Code")]));
    children.push(form(
        [
            class("sign-in-form"),
            method("post"),
            action("/sign_in/code"),
        ],
        send,
    ));
    let mut sign_in = vec![return_to_field(model)];
    sign_in.extend(field(
        "Email",
        "code-email",
        "email",
        "email",
        "email",
        "admin@example.com",
    ));
    sign_in.extend(field(
        "Sign-in code",
        "code",
        "code",
        "text",
        "one-time-code",
        "5 letters or digits",
    ));
    sign_in.push(button([type_("submit")], [text("Sign In")]));
    children.push(form(
        [class("sign-in-form"), method("post"), action("/sign_in")],
        sign_in,
    ));
    main([], [section([class("panel sign-in-panel")], children)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_sets_the_messages_and_a_narrowed_return_path() {
        let query = QueryParams::parse("return_to=%2Fgames&error=invalid");
        let model = initial_model(&SharedState::default(), &query);
        assert_eq!(model.return_to, "/admin/games");
        assert!(model.invalid && !model.sent);
        let html = rally::view::render::to_html(&view(&model));
        assert!(html.contains("Invalid sign-in code."));
        assert!(html.contains(r#"action="/sign_in/code""#));
        assert!(html.contains(r#"name="code""#));

        let query = QueryParams::parse("return_to=/admin&sent=1");
        let model = initial_model(&SharedState::default(), &query);
        assert_eq!(model.return_to, "/admin");
        assert!(model.sent && !model.invalid);
    }

    #[test]
    fn the_demo_code_is_shown_only_when_there_is_one() {
        let query = QueryParams::parse("");
        let production = initial_model(&SharedState::default(), &query);
        let html = rally::view::render::to_html(&view(&production));
        assert!(
            !html.contains("demo-hint") && !html.contains("A1Z9Q"),
            "{html}"
        );

        let development = SharedState {
            demo_code: Some("A1Z9Q".to_owned()),
            ..SharedState::default()
        };
        let html = rally::view::render::to_html(&view(&initial_model(&development, &query)));
        assert!(html.contains("the code is A1Z9Q for both"), "{html}");
    }
}
