//! The root account manages its sub-users' credentials (REC-02), through GraphQL.
