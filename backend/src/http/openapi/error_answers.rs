//! The error answers every operation may give, added where an operation
//! does not document them itself.

/// The error answers every route may give, documented on every operation
/// that does not say them itself: credentials (401), bad input (400), what
/// the caller may not do or see (403, 404), limits (413, 429) and a disk
/// that takes no writes (503), each an `ErrorBody`.
pub struct ErrorAnswers;

impl utoipa::Modify for ErrorAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let answers = [
            (
                "400",
                "the request is malformed or a field is invalid; the message names it",
            ),
            ("401", "no credentials, or they ended"),
            ("403", "the caller may not do this"),
            ("404", "no such thing, or the caller may not see it"),
            ("413", "the request body is too large"),
            ("429", "too many requests; wait"),
            (
                "503",
                "the data directory takes no writes; nothing saved is lost",
            ),
        ];
        for item in openapi.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                for (status, description) in answers {
                    if operation.responses.responses.contains_key(status) {
                        continue;
                    }
                    let response = ResponseBuilder::new()
                        .description(description)
                        .content(
                            "application/json",
                            ContentBuilder::new()
                                .schema(Some(Ref::from_schema_name("ErrorBody")))
                                .build(),
                        )
                        .build();
                    operation
                        .responses
                        .responses
                        .insert(status.to_owned(), response.into());
                }
            }
        }
    }
}
