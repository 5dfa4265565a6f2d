//! Workspace-level acceptance tests; see the files beside this one. This library is empty: the
//! package exists so that `cargo test` at the workspace root runs those tests.
