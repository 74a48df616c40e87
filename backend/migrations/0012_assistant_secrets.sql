-- Secrets of an assistant (model keys, a gateway's URL), put into its
-- agent's environment. `sealed` is base64 of nonce + XChaCha20-Poly1305
-- ciphertext under the key in the data directory (`secrets.key`); the
-- database alone reveals nothing.
CREATE TABLE assistant_secrets (
    assistant_id TEXT NOT NULL,
    name TEXT NOT NULL,
    sealed TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (assistant_id, name)
);
