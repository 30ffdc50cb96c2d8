//! The server dispatch of loads and saves, the pages' typed save effects, and the server's
//! entry point.

use proc_macro2::TokenStream;
use quote::quote;

use super::{ident, page_path, pascal};
use crate::page::Page;

/// `src/generated/rally/dispatch.rs`: routes each request to its page's `load` or
/// `handle_save`, then `after_save`'s event to the hub.
pub fn dispatch(pages: &[&Page]) -> TokenStream {
    let arms = pages.iter().filter_map(|page| {
        let server = page.server.as_ref()?;
        let wire = page.wire_name();
        let p = page_path(&page.mount, &page.module);
        let load = server.load.as_ref().map(|fields| {
            let names: Vec<_> = fields.iter().map(|(n, _)| ident(n)).collect();
            let pattern = if server.load_is_unit { quote!(#p::ServerMsg::Load) } else { quote!(#p::ServerMsg::Load { #(#names),* }) };
            quote! {
                #pattern => Reply::encode(#p::load(&self.db #(, #names)*).map_err(ApiError::from)),
            }
        });
        let save = server.save_ok.as_ref().map(|_| {
            let publish = if server.after_save {
                quote! {
                    match #p::after_save(&self.db, &ok) {
                        Some(targeted) => Reply::encode(Ok(ok)).publish(
                            targeted.topics.iter().map(rally::broadcast::Topic::name).collect(),
                            &targeted.event,
                        ),
                        None => Reply::encode(Ok(ok)),
                    }
                }
            } else {
                quote!(Reply::encode(Ok(ok)))
            };
            quote! {
                #[allow(unreachable_patterns)]
                msg => match #p::handle_save(&self.db, msg) {
                    Ok(ok) => #publish,
                    Err(e) => Reply::error(e.into()),
                },
            }
        });
        let not_a_save = server.save_ok.is_none().then(|| {
            quote! {
                #[allow(unreachable_patterns)]
                _ => Reply::error(ApiError::BadRequest { reason: format!("{} has no saves", #wire) }),
            }
        });
        let auth = if page.mount == "public" {
            quote!()
        } else {
            let mount = &page.mount;
            quote! {
                // Re-checked on every request: a sign-out elsewhere takes effect at once.
                let allowed = self.auth.as_ref().is_some_and(|auth| {
                    auth.authorize_blocking(#mount, &request.connection.headers).is_ok()
                });
                if !allowed {
                    return Reply::error(ApiError::Unauthorized);
                }
            }
        };
        Some(quote! {
            #wire => {
                #auth
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
        use rally::server::{Reply, Request};
        use rally::wire::ApiError;

        /// The app's request dispatch.
        pub struct Dispatch {
            /// The database handlers receive.
            pub db: rally::db::Db,
            /// The app's auth, which gates every mount except `public`.
            pub auth: Option<std::sync::Arc<dyn rally::auth_http::RequestAuth>>,
        }

        impl rally::server::Dispatch for Dispatch {
            fn dispatch(&self, request: Request<'_>) -> Reply {
                match request.page {
                    #(#arms)*
                    other => Reply::error(ApiError::BadRequest { reason: format!("no page {other}") }),
                }
            }
        }
    }
}

/// `src/generated/rally/server.rs`: one typed save effect per page that saves.
pub fn saves(pages: &[&Page]) -> TokenStream {
    let fns = pages.iter().filter_map(|page| {
        let ok = page.server.as_ref()?.save_ok.as_ref()?;
        let p = page_path(&page.mount, &page.module);
        let name = ident(&format!("save_{}", page.snake()));
        let wire = page.wire_name();
        let doc = format!("Sends a save to `{wire}`; `to_msg` receives its result.");
        let ok = qualify(ok, &p);
        Some(quote! {
            #[doc = #doc]
            pub fn #name(
                message: #p::ServerMsg,
                to_msg: impl FnOnce(Result<#ok, SaveError>) -> #p::Message + 'static,
            ) -> Effect<#p::Message> {
                rally::remote::save(#wire, &message, move |r| to_msg(r.map_err(SaveError::from_api)))
            }
        })
    });
    quote! {
        //! Typed saves for the pages' `update` functions.
        #![allow(unused_imports)]
        use rally::page::SaveError;
        use rally::view::Effect;

        #(#fns)*
    }
}

/// A save result type named inside its page (`CounterUpdate`) is qualified with the page's
/// path; paths and primitives stay as written.
fn qualify(ty: &syn::Type, page: &TokenStream) -> TokenStream {
    if let syn::Type::Path(p) = ty
        && p.path.segments.len() == 1
        && p.path.segments[0].arguments.is_empty()
    {
        let name = &p.path.segments[0].ident;
        let builtin = ["i64", "i32", "u32", "u64", "bool", "String", "f64"]
            .iter()
            .any(|b| name == b);
        if !builtin {
            return quote!(#page::#name);
        }
    }
    quote!(#ty)
}

/// `src/generated/rally/app.rs`: the server's whole startup; `auth` says whether the app
/// has `src/auth.rs`.
pub fn app(mounts: &[(String, String)], title: &str, auth: bool) -> TokenStream {
    let routers = mounts.iter().map(|(mount, _)| {
        let ty = ident(&pascal(mount));
        let m = ident(mount);
        quote! {
            rally::server::ssr::MountServer::<super::#m::#ty> {
                context: Arc::clone(&context),
                shared: Arc::new(crate::#m::shared_state),
                document: rally::server::ssr::default_document(#title),
                auth: auth.clone(),
                script: app.bundle_script(#mount),
            }
            .router()
        }
    });
    // The mount at `/` answers every path nothing else serves.
    let mut routers: Vec<_> = routers.collect();
    let root = mounts
        .iter()
        .position(|(_, prefix)| prefix.is_empty())
        .map(|i| routers.remove(i));
    let root = root.map(|root| quote!(let pages = rally::server::ssr::with_root(pages, #root);));
    let (auth_setup, auth_routes) = if auth {
        (
            quote! {
                let auth = match crate::auth::auth(&app.db) {
                    Ok(auth) => Arc::new(auth),
                    Err(e) => {
                        eprintln!("error: cannot set up sign-in (src/auth.rs): {e}");
                        return std::process::ExitCode::FAILURE;
                    }
                };
                let sign_in = auth.router();
                let auth: Option<Arc<dyn rally::auth_http::RequestAuth>> = Some(auth);
            },
            quote!(.merge(sign_in)),
        )
    } else {
        (
            quote! {
                let auth: Option<Arc<dyn rally::auth_http::RequestAuth>> = None;
            },
            quote!(),
        )
    };
    quote! {
        //! The server: every mount's pages, the WebSocket, assets and the browser bundles.
        use std::sync::Arc;

        /// Opens the database, serves until SIGINT/SIGTERM, and turns failures into an exit code
        /// with a message that says what to do.
        pub async fn serve() -> std::process::ExitCode {
            let app = match rally::server::app::App::from_env(env!("CARGO_PKG_NAME")) {
                Ok(app) => app,
                Err(e) => {
                    eprintln!("error: {e}");
                    return std::process::ExitCode::FAILURE;
                }
            };
            #auth_setup
            let context = Arc::new(app.db.clone());
            let endpoint = rally::server::Endpoint::new(
                rally::server::WsConfig::new(super::contract::CONTRACT),
                super::dispatch::Dispatch { db: app.db.clone(), auth: auth.clone() },
            );
            let pages = axum::Router::new() #auth_routes #(.merge(#routers))*;
            #root
            app.serve(pages, endpoint).await
        }
    }
}
