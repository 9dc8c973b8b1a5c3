//! Recovery of a recycled secure phone (REC-06) and finding accounts by verified identity (REC-04), through GraphQL.
