//! A signed request is accepted once: a captured money-moving request can be sent neither again as it was nor
//! under a new `Idempotency-Key` (the key is part of what is signed).

use crate::helpers::{envelope, expect_error};
use crate::signing::{create_api_key, sign_request};
use crate::wallets::{customer, deposit, spawn_with_admin_and_clock};
use platform::Clock;
use serde_json::json;

#[tokio::test]
async fn a_captured_signed_transfer_moves_money_once() {
    let (app, clock, admin) = spawn_with_admin_and_clock().await;
    let (alice, alice_id) = customer(&app, "alice@example.com").await;
    customer(&app, "bob@example.com").await;
    deposit(&app, &admin, &alice_id, "USD", "100.00").await;
    let (key, _) = create_api_key(&app, &alice, json!({"label": "bot", "scopes": ["read", "withdraw"]})).await;

    let body = json!({"to": "bob@example.com", "asset": "USD", "amount": "10.00"}).to_string();
    let request = app
        .client
        .post(app.url("/v1/wallets/transfers"))
        .header("content-type", "application/json")
        .header("idempotency-key", "pay-bob-1")
        .body(body);
    let captured = sign_request(request, &key, clock.now().timestamp_millis())
        .build()
        .expect("request");
    let send = |request: reqwest::Request| app.client.execute(request);

    let (status, first) = envelope(send(captured.try_clone().expect("clone")).await.expect("sent")).await;
    assert_eq!(status, 201, "{first}");

    // The same bytes again: the signature was used.
    let replayed = expect_error(
        send(captured.try_clone().expect("clone")).await.expect("sent"),
        401,
        2001,
    )
    .await;
    assert!(
        replayed["message"]
            .as_str()
            .unwrap_or_default()
            .contains("already used"),
        "{replayed}"
    );
    // Under new keys, as an attacker holding the captured request would try: the signature no longer matches.
    for attempt in 0..4 {
        let mut again = captured.try_clone().expect("clone");
        again.headers_mut().insert(
            "idempotency-key",
            format!("replay-{attempt}").parse().expect("header value"),
        );
        expect_error(send(again).await.expect("sent"), 401, 2001).await;
    }
    let (_, wallets) = envelope(app.get_authed("/v1/wallets", &alice).await).await;
    assert_eq!(wallets["data"]["items"][0]["available"], "90.00", "{wallets}");
}
