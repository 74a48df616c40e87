//! Agent messages as markdown: `tandem_shared::markdown` parses, and this
//! builds DOM nodes from the tree, every piece of text set as text (raw
//! HTML in a message shows as the characters it is).

use tandem_shared::markdown::{parse, Block, Inline};
use web_sys::{Document, Element};

/// A `<div class="md">` holding the rendered message.
pub fn render(document: &Document, markdown: &str) -> Option<Element> {
    let root = document.create_element("div").ok()?;
    root.set_class_name("md");
    for block in parse(markdown) {
        let element = match block {
            Block::Paragraph(inlines) => with_inlines(document, "p", &inlines)?,
            Block::Heading(level, inlines) => with_inlines(
                document,
                ["h3", "h4", "h5"][usize::from(level.clamp(1, 3)) - 1],
                &inlines,
            )?,
            Block::Quote(inlines) => with_inlines(document, "blockquote", &inlines)?,
            Block::Code { language, text } => {
                let pre = document.create_element("pre").ok()?;
                let code = document.create_element("code").ok()?;
                if let Some(language) = language {
                    code.set_attribute("data-language", &language).ok()?;
                }
                code.set_text_content(Some(&text));
                pre.append_child(&code).ok()?;
                pre
            }
            Block::List { ordered, items } => {
                let list = document
                    .create_element(if ordered { "ol" } else { "ul" })
                    .ok()?;
                for item in items {
                    let entry = with_inlines(document, "li", &item)?;
                    list.append_child(&entry).ok()?;
                }
                list
            }
            Block::Rule => document.create_element("hr").ok()?,
        };
        root.append_child(&element).ok()?;
    }
    Some(root)
}

fn with_inlines(document: &Document, name: &str, inlines: &[Inline]) -> Option<Element> {
    let element = document.create_element(name).ok()?;
    for inline in inlines {
        let node: web_sys::Node = match inline {
            Inline::Text(text) => document.create_text_node(text).into(),
            Inline::Break => document.create_element("br").ok()?.into(),
            Inline::Code(text) => {
                let code = document.create_element("code").ok()?;
                code.set_text_content(Some(text));
                code.into()
            }
            Inline::Strong(inner) => with_inlines(document, "strong", inner)?.into(),
            Inline::Emphasis(inner) => with_inlines(document, "em", inner)?.into(),
            Inline::Link { text, href } => {
                let link = with_inlines(document, "a", text)?;
                link.set_attribute("href", href).ok()?;
                link.set_attribute("rel", "noopener noreferrer nofollow")
                    .ok()?;
                if !href.starts_with('#') {
                    link.set_attribute("target", "_blank").ok()?;
                }
                link.into()
            }
        };
        element.append_child(&node).ok()?;
    }
    Some(element)
}
