//! The floor `bench/http.sh`'s figures are measured against: one axum 0.8 route answering the body given on the
//! command line, with no middleware, state or storage. It prints the address it listens on as the server does.
//!
//!     bench-floor ADDR BODY_FILE

use axum::Router;
use axum::http::header;
use axum::routing::get;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(addr), Some(body_file)) = (args.next(), args.next()) else {
        eprintln!("usage: bench-floor ADDR BODY_FILE");
        return ExitCode::FAILURE;
    };
    let body = match std::fs::read(&body_file) {
        Ok(body) => body,
        Err(err) => {
            eprintln!("cannot read {body_file}: {err}");
            return ExitCode::FAILURE;
        }
    };
    // Leaked once: the handler then answers a `&'static` body without copying it per request.
    let body: &'static [u8] = Vec::leak(body);
    let app = Router::new().route(
        "/",
        get(move || async move { ([(header::CONTENT_TYPE, "application/json")], body) }),
    );
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("cannot listen on {addr}: {err}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(local) => println!("listening on http://{local} "),
        Err(err) => {
            eprintln!("no local address: {err}");
            return ExitCode::FAILURE;
        }
    }
    if let Err(err) = axum::serve(listener, app).await {
        eprintln!("serve: {err}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
