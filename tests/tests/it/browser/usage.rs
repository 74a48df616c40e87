//! The Usage page: the chart of cost per day stacked by assistant, its
//! numbers as a table, the costliest assistants and sessions, budgets'
//! gauges; the assistant page's gauge; on a desktop and a phone.

use super::{Browser, PHONE_SIZE};
use crate::support::{TestServer, Viewer};
use fantoccini::Locator;
use serde_json::json;
use tandem_shared::{Seq, SessionStatus};

async fn spend(server: &TestServer, name: &str, cost: f64, input: u64) -> String {
    let assistant = server
        .scripted_assistant(
            name,
            json!({"turns": [[
                {"do": "message", "text": "done"},
                {"do": "update", "update": {"sessionUpdate": "usage_update", "used": 5000, "size": 200000,
                    "cost": {"amount": cost, "currency": "USD"}}},
                {"do": "turn_usage", "usage": {"inputTokens": input, "outputTokens": 900}}
            ]]}),
        )
        .await;
    let session = server
        .start_session(&assistant, &format!("{name}'s work"))
        .await;
    let mut viewer = Viewer::connect(server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    assistant.id.0
}

#[tokio::test]
async fn the_usage_page_charts_cost_by_day_and_assistant_with_budgets() {
    let server = TestServer::start().await;
    let builder = spend(&server, "builder", 1.75, 42_000).await;
    spend(&server, "reviewer", 0.60, 12_000).await;
    let (status, body) = server
        .put_json(
            &format!("/api/assistants/{builder}/budget"),
            json!({"monthly_micros": 2_000_000}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    for (width, height, name) in [
        (1280, 860, "desktop"),
        (PHONE_SIZE.0, PHONE_SIZE.1, "phone"),
    ] {
        let browser = Browser::logged_in(&server, width, height).await;
        browser
            .client
            .goto(&format!("{}/#/usage", server.url))
            .await
            .expect("open usage");
        browser
            .until_text("[data-testid=usage-total]", "$2.35")
            .await;
        // Two assistants' segments in today's bar.
        let rects = browser
            .client
            .find_all(Locator::Css("[data-testid=usage-chart] rect"))
            .await
            .expect("bars");
        assert_eq!(rects.len(), 2, "{name}");
        let label = browser
            .client
            .find(Locator::Css("[data-testid=usage-chart] svg"))
            .await
            .expect("chart")
            .attr("aria-label")
            .await
            .expect("label")
            .unwrap_or_default();
        assert!(label.contains("$2.35 in all"), "{label}");
        browser.until_text(".usage-top", "builder").await;
        browser.until_text(".usage-top", "$1.75").await;
        browser.until_text(".usage-top", "builder's work").await;
        // The builder is past its 80 % warning: $1.75 of $2.00.
        browser
            .until_text("[data-testid=budget-gauge]", "$1.75 of $2.00")
            .await;
        let standing = browser
            .client
            .find(Locator::Css("[data-testid=budget-gauge]"))
            .await
            .expect("gauge")
            .attr("data-standing")
            .await
            .expect("standing");
        assert_eq!(standing.as_deref(), Some("warning"));
        browser.screenshot(&format!("usage-{name}")).await;
        // The numbers as a table, for those who do not see the chart.
        browser.click(".usage-numbers summary").await;
        browser
            .until_text("[data-testid=usage-table]", "$0.60")
            .await;
        let csv = browser
            .client
            .find(Locator::Css("[data-testid=usage-csv]"))
            .await
            .expect("csv link")
            .attr("href")
            .await
            .expect("href")
            .unwrap_or_default();
        assert!(
            csv.starts_with("/api/usage.csv?by=day&split=assistant"),
            "{csv}"
        );
        browser.screenshot(&format!("usage-{name}-table")).await;

        // The assistant page shows its month against its budget.
        browser
            .client
            .goto(&format!("{}/#/assistants/{builder}", server.url))
            .await
            .expect("open assistant");
        browser
            .until_text(".assistant-budget", "past its 80 % warning")
            .await;
        browser.screenshot(&format!("usage-assistant-{name}")).await;
        browser.close().await;
    }

    // An admin sets budgets and prices in Settings.
    let browser = Browser::logged_in(&server, 1280, 1000).await;
    browser
        .client
        .goto(&format!("{}/#/settings", server.url))
        .await
        .expect("open settings");
    browser
        .until_text("[data-testid=cost-settings]", "$1.75 of $2.00")
        .await;
    browser.type_into("[data-testid=budget-amount]", "10").await;
    browser.click("[data-testid=budget-save]").await;
    browser
        .until_text("[data-testid=budget-said]", "Saved: $10.00 a month.")
        .await;
    browser
        .until_text("[data-testid=cost-settings]", "Tandem")
        .await;
    browser
        .type_into("[data-testid=budget-amount]", "ten")
        .await;
    browser.click("[data-testid=budget-save]").await;
    browser
        .until_text("[data-testid=budget-said]", "The amount is money")
        .await;
    browser
        .type_into("[data-testid=price-model]", "gpt-test")
        .await;
    browser.type_into("[data-testid=price-input]", "1.25").await;
    browser.type_into("[data-testid=price-output]", "10").await;
    browser.click("[data-testid=price-save]").await;
    browser
        .until_text("[data-testid=price-said]", "No session has reported")
        .await;
    browser.until_text("[data-testid=prices]", "gpt-test").await;
    browser.scroll_to("[data-testid=cost-settings]").await;
    browser.screenshot("usage-settings-costs").await;
    let (_, team) = server.get("/api/budgets").await;
    assert!(
        team.as_array().is_some_and(|all| all
            .iter()
            .any(|b| b["name"] == "Tandem" && b["monthly_micros"] == 10_000_000)),
        "{team}"
    );
    browser.close().await;
}
