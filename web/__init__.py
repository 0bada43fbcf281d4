"""The HTTP machinery around the handlers: the Connexion application and the policy that wraps
every handler, request validation, the problem+json mapping, middlewares (access log, rate limits,
body limit, OPTIONS, trailing slashes), metrics, conditional requests and pagination headers."""
