//! The REST API, with the shared types: no JSON is built by hand.

use gloo_net::http::Request;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tandem_shared::api::ErrorBody;

pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, String> {
    let response = Request::get(path).send().await.map_err(|e| e.to_string())?;
    read(response).await
}

pub async fn post<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, String> {
    let response = Request::post(path)
        .json(body)
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(|e| e.to_string())?;
    read(response).await
}

async fn read<T: DeserializeOwned>(response: gloo_net::http::Response) -> Result<T, String> {
    if response.ok() {
        return response.json::<T>().await.map_err(|e| e.to_string());
    }
    match response.json::<ErrorBody>().await {
        Ok(body) => Err(body.error.message),
        Err(_) => Err(format!("the server answered {}", response.status())),
    }
}

pub async fn patch<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, String> {
    let response = Request::patch(path)
        .json(body)
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(|e| e.to_string())?;
    read(response).await
}
