//! First run, logging in and out, and a new user's first approved command.

use super::*;

#[tokio::test]
async fn the_first_run_makes_the_admin_who_can_log_out_and_in_again() {
    let server = TestServer::launch().without_accounts().start().await;
    let browser = Browser::open(1280, 860).await;
    browser.client.goto(&server.url).await.expect("open app");
    browser
        .set_up("ada", "a long password", "a different one")
        .await;
    browser.until_text(".form-error", "differ").await;
    browser.screenshot("desktop-first-run").await;
    let repeat = browser
        .client
        .find(Locator::Css("[data-testid=setup-repeat]"))
        .await
        .expect("repeat field");
    repeat.clear().await.expect("clear");
    repeat.send_keys("a long password").await.expect("type");
    browser.click("[data-testid=setup-submit]").await;
    browser
        .until_text("[data-testid=signed-in-as]", "ada")
        .await;
    browser.click("[data-testid=settings-link]").await;
    browser.until_text("[data-testid=me]", "ada").await;
    browser.type_into("[data-testid=token-name]", "ci").await;
    browser.click("[data-testid=token-create]").await;
    browser
        .until_text("[data-testid=token-secret]", "tdm_")
        .await;
    browser.screenshot("desktop-settings").await;
    // The demo assistant's rules: the defaults, and one more.
    browser.click("[data-testid=assistant-item]").await;
    browser.click("[data-testid=tab-rules]").await;
    browser.until_text("[data-testid=rule]", "edit:").await;
    browser
        .type_into("[data-testid=rule-prefix]", "git status")
        .await;
    browser.click("[data-testid=rule-add]").await;
    browser
        .until_text("[data-testid=rule]", "execute:git status")
        .await;
    browser.screenshot("desktop-assistant-rules").await;
    browser.click("[data-testid=settings-link]").await;
    browser.click("[data-testid=logout]").await;
    browser
        .until_text("[data-testid=login-submit]", "Log in")
        .await;
    browser.type_into("[data-testid=login-name]", "ada").await;
    browser
        .type_into("[data-testid=login-password]", "wrong password")
        .await;
    browser.click("[data-testid=login-submit]").await;
    browser.until_text(".form-error", "do not match").await;
    browser.screenshot("desktop-login").await;
    browser.close().await;
}

/// A login that ends while its page is open (here: the password changed
/// from elsewhere, which ends every other login) brings the page back to
/// the login form at once, instead of a page that reconnects forever.
#[tokio::test]
async fn a_login_that_ends_elsewhere_brings_the_page_back_to_the_login() {
    let server = TestServer::start().await;
    let browser = Browser::logged_in(&server, 1280, 860).await;
    browser.click("[data-testid=settings-link]").await;
    browser.until_text("[data-testid=me]", ADMIN).await;
    let (status, body) = server
        .post(
            "/api/auth/password",
            json!({"current": ADMIN_PASSWORD, "new": "another long password"}),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    browser
        .until_text("[data-testid=login-ended]", "Your login has ended")
        .await;
    browser.screenshot("desktop-login-ended").await;
    // And the new password lets the person back in.
    browser.type_into("[data-testid=login-name]", ADMIN).await;
    browser
        .type_into("[data-testid=login-password]", "another long password")
        .await;
    browser.click("[data-testid=login-submit]").await;
    browser
        .until_dom_text("[data-testid=signed-in-as]", ADMIN)
        .await;
    browser.close().await;
}

#[tokio::test]
async fn a_new_user_goes_from_first_run_to_an_approved_command_summed_up_in_chat() {
    let server = TestServer::launch().without_accounts().start().await;
    let browser = Browser::open(1280, 860).await;
    browser.client.goto(&server.url).await.expect("open app");
    browser
        .set_up("grace", "a long password", "a long password")
        .await;
    browser
        .until_text("[data-testid=signed-in-as]", "grace")
        .await;
    // The demo assistant is there from the start.
    browser.click("[data-testid=assistant-item]").await;
    browser
        .until_text("[data-testid=assistant-page] h1", "Demo")
        .await;
    browser
        .type_into("[data-testid=chat-composer]", "echo first run\n")
        .await;
    browser
        .until_text("[data-testid=approvals-badge]", "1 waiting")
        .await;
    browser.click("[data-testid=approvals-link]").await;
    browser
        .until_text("[data-testid=inbox-approval]", "echo first run")
        .await;
    browser.screenshot("desktop-approvals").await;
    browser
        .click("[data-testid=inbox-approval] [data-option=allow-once]")
        .await;
    browser
        .until_text("[data-testid=approvals-empty]", "Nothing is waiting")
        .await;
    browser.click("[data-testid=assistant-item]").await;
    browser
        .until_text("[data-testid=chat-message][data-kind=summary]", "Finished.")
        .await;
    browser
        .until_text(
            "[data-testid=chat-message][data-kind=summary]",
            "echo first run",
        )
        .await;
    browser.screenshot("desktop-first-run-summary").await;
    browser.close().await;
}
