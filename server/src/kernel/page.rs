//! One page of a keyset listing: the rows, whether more follow, and the listing's total.
/// One page of a listing.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// More rows follow.
    pub has_next_page: bool,
    /// Rows in the whole (filtered) listing.
    pub total_count: u64,
}

impl<T> Page<T> {
    /// The page of a keyset listing fetched with `limit first + 1`: the extra row only says
    /// that another page follows.
    pub fn from_rows<R: Into<T>>(rows: Vec<R>, first: u64, total_count: u64) -> Self {
        let has_next_page = rows.len() as u64 > first;
        Self {
            items: rows
                .into_iter()
                .take(usize::try_from(first).unwrap_or(usize::MAX))
                .map(Into::into)
                .collect(),
            has_next_page,
            total_count,
        }
    }
}
