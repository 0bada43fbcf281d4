"""The OAuth 2 authorization server: the oauthlib adapter, the bearer-token check and the caller
it yields, the permission rules the contract names, password hashing and token digests."""
