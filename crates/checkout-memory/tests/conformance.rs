//! The in-memory shop passes the conformance suite every adapter must pass. (It is also the
//! suite's oracle, so the property-based part holds it to itself; the concurrency, fencing and
//! registry parts are independent of that.)

checkout_conformance::conformance_suite!(checkout_memory::MemoryShop::new());
