//! [`Shared`]: a part of a model state that successor states share until one of them changes it,
//! with its fingerprint kept beside it. Most steps change one checkout and leave the other
//! checkouts and the stores as they were; sharing those parts makes copying a state cheap, and
//! the kept fingerprint makes hashing it cheap, which is most of what a model checker does.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// How a shared part is fingerprinted: by default its whole hash.
pub trait Fingerprint {
    fn fingerprint(&self) -> u64;
}

/// A value shared between states, hashed by its fingerprint.
#[derive(Clone)]
pub struct Shared<T> {
    value: Arc<T>,
    fingerprint: u64,
}

impl<T: Fingerprint + Clone> Shared<T> {
    pub fn new(value: T) -> Shared<T> {
        Shared { fingerprint: value.fingerprint(), value: Arc::new(value) }
    }

    /// The kept fingerprint.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Changes the value: this state gets its own copy, and its fingerprint is taken anew once
    /// the returned guard is dropped.
    pub fn make_mut(&mut self) -> SharedMut<'_, T> {
        SharedMut { shared: self }
    }
}

/// Write access to a [`Shared`] value; updates the fingerprint when dropped.
pub struct SharedMut<'a, T: Fingerprint + Clone> {
    shared: &'a mut Shared<T>,
}

impl<T: Fingerprint + Clone> Deref for SharedMut<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.shared.value
    }
}

impl<T: Fingerprint + Clone> DerefMut for SharedMut<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        Arc::make_mut(&mut self.shared.value)
    }
}

impl<T: Fingerprint + Clone> Drop for SharedMut<'_, T> {
    fn drop(&mut self) {
        self.shared.fingerprint = self.shared.value.fingerprint();
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> Hash for Shared<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.fingerprint);
    }
}

impl<T: PartialEq> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        self.fingerprint == other.fingerprint && (Arc::ptr_eq(&self.value, &other.value) || self.value == other.value)
    }
}

impl<T: Eq> Eq for Shared<T> {}

impl<T: fmt::Debug> fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}
