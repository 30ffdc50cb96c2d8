//! The server dispatch of loads and saves, the pages' typed save effects, and the server's
//! entry point.

use proc_macro2::TokenStream;
use quote::quote;

use super::{ident, page_path, pascal};
use crate::page::{OwnsTopic, Page};

/// `src/generated/rally/dispatch.rs`: routes each request to its page's `load` or
/// `handle_save`, then `after_save`'s event to the hub. `context` says whether the app
/// defines `src/context.rs`.
pub fn dispatch(pages: &[&Page], context: bool, topic_rule: bool) -> TokenStream {
    let context_ty = super::mount::context_type(context);
    let topics = topics(pages, topic_rule);
    let form_arms: Vec<TokenStream> = pages
        .iter()
        .filter(|page| page.server.as_ref().is_some_and(|s| s.save_ok.is_some()))
        .map(|page| {
            let wire = page.wire_name();
            let p = page_path(&page.mount, &page.module);
            quote!(#wire => Some(rally::glue::form_message::<#p::ServerMsg>(form)),)
        })
        .collect();
    let forms = (!form_arms.is_empty()).then(|| {
        quote! {
            fn decode_form(
                &self,
                page: &str,
                form: &[(String, String)],
            ) -> Option<Result<Vec<u8>, rally::glue::FormError>> {
                match page {
                    #(#form_arms)*
                    _ => None,
                }
            }
        }
    });
    let arms = pages.iter().filter_map(|page| {
        let server = page.server.as_ref()?;
        let wire = page.wire_name();
        let p = page_path(&page.mount, &page.module);
        let mount = &page.mount;
        let access = &page.access;
        let constant = super::mount::access_constant(access, &p);
        // The page's rule for a load: with the route's params (the load's fields) when its
        // `authorize` takes them.
        let load_rule = |fields: &[(String, syn::Type)]| -> TokenStream {
            if !access.is_restricted() {
                return quote!();
            }
            let predicate = match access.authorize {
                None => quote!(None),
                Some(3) => {
                    let route = page.route_variant.as_deref().unwrap_or_default();
                    let params_ty = ident(&format!("{route}Params"));
                    let mount_mod = ident(mount);
                    // The load's fields are owned here and moved into `load` after the check.
                    let inits = fields.iter().map(|(n, ty)| {
                        let n = ident(n);
                        if super::mount::is_copy(&quote::ToTokens::to_token_stream(ty).to_string()) {
                            quote!(#n)
                        } else {
                            quote!(#n: #n.clone())
                        }
                    });
                    quote!(Some(&|user| #p::authorize(ctx, user, &crate::generated::routes::#mount_mod::#params_ty { #(#inits),* })))
                }
                Some(_) => quote!(Some(&|user| #p::authorize(ctx, user))),
            };
            quote! {
                if rally::glue::allow(#constant, &caller, #predicate).is_err() {
                    return Reply::error(ApiError::Unauthorized);
                }
            }
        };
        // A save carries no route params: a predicate over them cannot run, so such a page's
        // saves need a signed-in caller and `handle_save` checks ownership itself.
        let save_rule = if access.is_restricted() {
            let predicate = match access.authorize {
                Some(2) => quote!(Some(&|user| #p::authorize(ctx, user))),
                Some(_) => quote!(Some(&|_| true)),
                None => quote!(None),
            };
            quote! {
                if rally::glue::allow(#constant, &caller, #predicate).is_err() {
                    return Reply::error(ApiError::Unauthorized);
                }
            }
        } else {
            quote!()
        };
        let load = server.load.as_ref().map(|fields| {
            let names: Vec<_> = fields.iter().map(|(n, _)| ident(n)).collect();
            let pattern = if server.load_is_unit { quote!(#p::ServerMsg::Load) } else { quote!(#p::ServerMsg::Load { #(#names),* }) };
            let caller = server.load_caller.then(|| quote!(&caller,));
            let rule = load_rule(fields);
            quote! {
                #pattern => {
                    #rule
                    Reply::encode(#p::load(ctx, #caller #(#names),*).map_err(ApiError::from))
                }
            }
        });
        let save = server.save_ok.as_ref().map(|_| {
            let after_caller = server.after_save_caller.then(|| quote!(&caller,));
            let publish = if server.after_save {
                quote! {
                    match #p::after_save(ctx, #after_caller &ok) {
                        Some(targeted) => Reply::encode(Ok(ok)).publish(
                            targeted.topics.iter().map(rally::glue::Topic::name).collect(),
                            &targeted.event,
                        ),
                        None => Reply::encode(Ok(ok)),
                    }
                }
            } else {
                quote!(Reply::encode(Ok(ok)))
            };
            let caller = server.save_caller.then(|| quote!(&caller,));
            // `ServerMsg::Save(T)`: unwrapped, so `handle_save` never sees the load.
            let pattern = if server.save_payload.is_some() {
                quote!(#p::ServerMsg::Save(msg))
            } else {
                quote!(#[allow(unreachable_patterns)] msg)
            };
            quote! {
                #pattern => {
                    #save_rule
                    match #p::handle_save(ctx, #caller msg) {
                        Ok(ok) => #publish,
                        Err(e) => Reply::error(e.into()),
                    }
                }
            }
        });
        let not_a_save = server.save_ok.is_none().then(|| {
            quote! {
                #[allow(unreachable_patterns)]
                _ => Reply::error(ApiError::BadRequest { reason: format!("{} has no saves", #wire) }),
            }
        });
        let uses_caller = access.is_restricted()
            || server.load_caller
            || server.save_caller
            || server.after_save_caller;
        let caller = if uses_caller {
            quote! {
                // Re-read on every request: a sign-out elsewhere takes effect at once, and a
                // mount other than `public` refuses callers its auth does not let in.
                let caller = match rally::glue::for_request(self.auth.as_deref(), #mount, &request.connection.headers) {
                    Ok(caller) => caller,
                    Err(e) => return Reply::error(e),
                };
            }
        } else if mount != rally_routes::PUBLIC_MOUNT {
            quote! {
                // Re-checked on every request: a sign-out elsewhere takes effect at once.
                if let Err(e) = rally::glue::for_request(self.auth.as_deref(), #mount, &request.connection.headers) {
                    return Reply::error(e);
                }
            }
        } else {
            // Nothing on this public page asks who is calling: no session lookup.
            quote!()
        };
        Some(quote! {
            #wire => {
                #caller
                let msg: #p::ServerMsg = match request.decode() {
                    Ok(msg) => msg,
                    Err(e) => return Reply::error(e),
                };
                match msg {
                    #load
                    #save
                    #not_a_save
                }
            }
        })
    });
    quote! {
        //! Loads and saves arriving over `/ws`, routed to their pages.
        use rally::glue::{ApiError, Reply, Request};

        /// The app's request dispatch.
        pub struct Dispatch {
            /// What handlers receive: the app's context.
            pub context: std::sync::Arc<#context_ty>,
            /// The app's auth: who the caller is, and the gate of every mount except `public`.
            pub auth: Option<std::sync::Arc<dyn rally::glue::RequestAuth>>,
        }

        impl rally::glue::Dispatch for Dispatch {
            fn dispatch(&self, request: Request<'_>) -> Reply {
                #[allow(unused_variables)]
                let ctx = &*self.context;
                match request.page {
                    #(#arms)*
                    other => Reply::error(ApiError::BadRequest { reason: format!("no page {other}") }),
                }
            }

            fn signed_in(&self, connection: &rally::glue::ConnectionInfo) -> bool {
                // Signed-in sockets may send larger frames than anonymous ones.
                self.auth.as_ref().is_some_and(|auth| auth.authenticate(&connection.headers).is_some())
            }

            #topics

            #forms
        }
    }
}

/// `authorize_topics`, when anything rules over topics: each page's `owns_topic` hands the
/// topics it names to that page's rule (its mount's gate, `ACCESS`, `authorize`), then the
/// app's `authorize_topic` judges every topic. Pages' callers are looked up once per page that
/// owns a topic of the set, not per topic.
fn topics(pages: &[&Page], topic_rule: bool) -> Option<TokenStream> {
    let owners: Vec<TokenStream> = pages
        .iter()
        .filter(|page| page.alias_of.is_none())
        .filter_map(|page| {
            let owns = page.access.owns_topic.as_ref()?;
            let p = page_path(&page.mount, &page.module);
            let mount = &page.mount;
            let access = &page.access;
            let constant = super::mount::access_constant(access, &p);
            let caller = quote! {
                let caller = rally::glue::for_request(auth, #mount, headers)?;
            };
            Some(match owns {
                OwnsTopic::Bool if !access.is_restricted() => quote! {
                    if topics.iter().any(|topic| #p::owns_topic(topic)) {
                        rally::glue::for_request(auth, #mount, headers)?;
                    }
                },
                OwnsTopic::Bool => {
                    let predicate = match access.authorize {
                        Some(_) => quote!(Some(&|user| #p::authorize(ctx, user))),
                        None => quote!(None),
                    };
                    quote! {
                        if topics.iter().any(|topic| #p::owns_topic(topic)) {
                            #caller
                            rally::glue::allow(#constant, &caller, #predicate).map_err(|_| ApiError::Unauthorized)?;
                        }
                    }
                }
                OwnsTopic::Params(_) => quote! {
                    let owned: Vec<_> = topics.iter().filter_map(|topic| #p::owns_topic(topic)).collect();
                    if !owned.is_empty() {
                        #caller
                        for params in &owned {
                            rally::glue::allow(#constant, &caller, Some(&|user| #p::authorize(ctx, user, params)))
                                .map_err(|_| ApiError::Unauthorized)?;
                        }
                    }
                },
            })
        })
        .collect();
    if owners.is_empty() && !topic_rule {
        return None;
    }
    let public = rally_routes::PUBLIC_MOUNT;
    let app_rule = topic_rule.then(|| {
        quote! {
            // Who is asking, read now; the app's rule decides per topic.
            let caller = rally::glue::for_request(auth, #public, headers)?;
            if !topics.iter().all(|topic| crate::broadcasts::authorize_topic(ctx, &caller, topic)) {
                return Err(ApiError::Unauthorized);
            }
        }
    });
    Some(quote! {
        fn authorize_topics(
            &self,
            connection: &rally::glue::ConnectionInfo,
            topics: &[String],
        ) -> Result<(), ApiError> {
            #[allow(unused_variables)]
            let (ctx, auth, headers) = (&*self.context, self.auth.as_deref(), &connection.headers);
            #(#owners)*
            #app_rule
            Ok(())
        }

        fn authorizes_topics(&self) -> bool {
            true
        }
    })
}

/// `src/generated/rally/server.rs`: one typed save effect per page that saves.
pub fn saves(pages: &[&Page]) -> TokenStream {
    let fns = pages.iter().filter_map(|page| {
        let server = page.server.as_ref()?;
        let ok = server.save_ok_path.as_ref().or(server.save_ok.as_ref())?;
        let p = page_path(&page.mount, &page.module);
        let name = ident(&format!("save_{}", page.snake()));
        let wire = page.wire_name();
        let doc = format!("Sends a save to `{wire}`; `to_msg` receives its result.");
        let form_name = ident(&format!("save_form_{}", page.snake()));
        let form_doc = format!(
            "`message` as a form that saves to `{wire}`: it posts without JavaScript (and before the page hydrates), and once hydrated dispatches `submitted` instead."
        );
        // Both are named from the crate root already (`resolve`).
        let (message, wrapped) = match &server.save_payload {
            Some(payload) => (quote!(#payload), quote!(&#p::ServerMsg::Save(message))),
            None => (quote!(#p::ServerMsg), quote!(&message)),
        };
        Some(quote! {
            #[doc = #doc]
            pub fn #name(
                message: #message,
                to_msg: impl FnOnce(Result<#ok, SaveError>) -> #p::Message + 'static,
            ) -> Effect<#p::Message> {
                rally::glue::save(#wire, #wrapped, move |r| to_msg(r.map_err(SaveError::from_api)))
            }

            #[doc = #form_doc]
            pub fn #form_name(
                message: #message,
                submitted: #p::Message,
                attrs: impl IntoIterator<Item = rally::glue::Attribute<#p::Message>>,
                children: impl IntoIterator<Item = rally::glue::Element<#p::Message>>,
            ) -> rally::glue::Element<#p::Message> {
                rally::glue::save_form(#wrapped, submitted, attrs, children)
            }
        })
    });
    quote! {
        //! Typed saves for the pages' `update` functions.
        #![allow(unused_imports)]
        use rally::glue::{Effect, SaveError};

        #(#fns)*
    }
}

/// What the app defines around its pages, which changes its server's startup.
#[derive(Debug, Clone, Copy)]
pub struct ServerParts {
    /// `src/auth.rs`: sign-in routes and gated mounts.
    pub auth: bool,
    /// `src/context.rs`: the app's context.
    pub context: bool,
    /// `src/server.rs` `configure`: the app's hook.
    pub configure: bool,
}

/// `src/generated/rally/app.rs`: the server's whole startup.
pub fn app(mounts: &[(String, String)], title: &str, parts: ServerParts) -> TokenStream {
    let routers = mounts.iter().map(|(mount, _)| {
        let ty = ident(&pascal(mount));
        let m = ident(mount);
        quote!(app.mount::<super::#m::#ty>(Arc::new(crate::#m::shared_state), auth.clone()))
    });
    // The mount at `/` answers every path nothing else serves.
    let mut routers: Vec<_> = routers.collect();
    let root = mounts
        .iter()
        .position(|(_, prefix)| prefix.is_empty())
        .map(|i| routers.remove(i));
    let root = root.map(|root| quote!(let pages = rally::glue::with_root(pages, #root);));
    let (auth_setup, auth_routes) = if parts.auth {
        (
            quote! {
                let auth = crate::auth::auth(app.context())
                    .map_err(|e| SetupError::new("set up sign-in (src/auth.rs)", e))?;
                let auth = Arc::new(auth);
                let sign_in = auth.router();
                let auth: Option<Arc<dyn rally::glue::RequestAuth>> = Some(auth);
            },
            quote!(.merge(sign_in)),
        )
    } else {
        (
            quote! {
                let auth: Option<Arc<dyn rally::glue::RequestAuth>> = None;
            },
            quote!(),
        )
    };
    let (context_ty, context) = if parts.context {
        (
            quote!(crate::context::Context),
            quote! {
                let context = crate::context::context(app.db.clone(), &app.env)
                    .map_err(|e| SetupError::new("build the app's context (src/context.rs)", e))?;
            },
        )
    } else {
        (
            quote!(rally::glue::Db),
            quote!(let context = app.db.clone();),
        )
    };
    let configure = parts
        .configure
        .then(|| quote!(let mut app = crate::server::configure(app);));
    let new_builder = if parts.configure {
        quote!(let app = AppBuilder::new(app, context, #title);)
    } else {
        quote!(let mut app = AppBuilder::new(app, context, #title);)
    };
    quote! {
        //! The server: every mount's pages, the WebSocket, assets and the browser bundles.
        use std::sync::Arc;

        use rally::glue::{App, AppBuilder, SetupError};

        /// The app's server, ready to serve: its context, the app's `configure` hook, sign-in,
        /// every mount's pages and the `/ws` endpoint. Integration tests call it with their own
        /// `App` and serve the result on a free port (`AppBuilder::serve_until`).
        pub fn build(app: App) -> Result<(AppBuilder<#context_ty>, axum::Router, rally::glue::Endpoint), SetupError> {
            #context
            #new_builder
            #configure
            #auth_setup
            let endpoint = app.endpoint(
                rally::glue::WsConfig::new(super::contract::CONTRACT),
                super::dispatch::Dispatch { context: Arc::clone(app.context()), auth: auth.clone() },
            );
            let pages = axum::Router::new() #auth_routes #(.merge(#routers))*;
            #root
            Ok((app, pages, endpoint))
        }

        /// Reads the configuration and opens the database, builds the server, serves until
        /// SIGINT/SIGTERM, and turns failures into an exit code with a message that says what
        /// to do.
        pub async fn serve() -> std::process::ExitCode {
            let built = App::from_env(env!("CARGO_PKG_NAME"))
                .map_err(|e| e.to_string())
                .and_then(|app| build(app).map_err(|e| e.to_string()));
            match built {
                Ok((app, pages, endpoint)) => app.serve(pages, endpoint).await,
                Err(e) => {
                    eprintln!("error: {e}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
    }
}
