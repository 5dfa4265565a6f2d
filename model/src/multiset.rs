//! Messages in flight (queue messages, worker replies, callbacks) are multisets. The models keep
//! them as sorted vectors so that two states holding the same messages are the same state.

/// Inserts `item`, keeping `list` sorted.
pub fn insert_sorted<T: Ord>(list: &mut Vec<T>, item: T) {
    let at = list.binary_search(&item).unwrap_or_else(|i| i);
    list.insert(at, item);
}

/// Adds a second copy of the item at `index` (a message delivered twice).
pub fn duplicate<T: Ord + Clone>(list: &mut Vec<T>, index: usize) {
    let copy = list[index].clone();
    insert_sorted(list, copy);
}
