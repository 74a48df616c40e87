//! An assistant's initial on its colour. People pick any colour, so the
//! letter is white or near-black, whichever has the higher contrast.

use leptos::prelude::*;

#[component]
pub fn Avatar(name: String, color: String, #[prop(optional)] small: bool) -> impl IntoView {
    let initial = name.chars().next().unwrap_or('?').to_string();
    let style = format!("background:{color};color:{}", letter_colour(&color));
    view! {
        <span class="avatar" class:small=small aria-hidden="true" style=style>{initial}</span>
    }
}

const DARK: &str = "#111111";

fn letter_colour(background: &str) -> &'static str {
    let Some(bg) = luminance(background) else {
        return "#ffffff";
    };
    let dark = luminance(DARK).unwrap_or(0.0);
    let on_white = 1.05 / (bg + 0.05);
    let on_dark = (bg + 0.05) / (dark + 0.05);
    if on_white >= on_dark {
        "#ffffff"
    } else {
        DARK
    }
}

/// WCAG relative luminance of `#rrggbb`.
fn luminance(hex: &str) -> Option<f64> {
    let hex = hex.strip_prefix('#').filter(|h| h.len() == 6)?;
    let channel = |i: usize| -> Option<f64> {
        let value = f64::from(u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()?) / 255.0;
        Some(if value <= 0.03928 {
            value / 12.92
        } else {
            ((value + 0.055) / 1.055).powf(2.4)
        })
    };
    Some(0.2126 * channel(0)? + 0.7152 * channel(2)? + 0.0722 * channel(4)?)
}
