//! The web app in headless Chromium (filled in with the frontend).
