"""The rules of the domain, between the handlers and storage: who may change which field, JSON
Patch, sign-up, memberships and leaders, and the optimistic retry of a versioned update."""
