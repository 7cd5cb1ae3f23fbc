//! The shape of the numbering plan's data: what `plan_data.rs` (generated)
//! is written in and `plan.rs` reads. Apart from both so that neither
//! imports the other.

/// One region of a calling code, as `phonenumber`'s metadata has it, with
/// only what `plan::read` consults.
pub struct Region {
    /// ISO 3166 alpha-2, or `001` for a non-geographic code.
    pub id: &'static str,
    /// Where regions share a code, this claims the numbers it matches (at the
    /// start) for the region before any descriptor is consulted.
    pub leading: Option<u16>,
    pub general: Desc,
    pub premium_rate: Option<Desc>,
    /// Consulted between the two the guard refuses: a number matching it is
    /// toll free even if it also matches `shared_cost`.
    pub toll_free: Option<Desc>,
    pub shared_cost: Option<Desc>,
    /// VoIP, personal, pager, UAN, voicemail, fixed line, mobile: consulted
    /// after the others, where which of them matches makes no difference to
    /// the answer, only whether any does.
    pub rest: &'static [Desc],
}

/// A number range: a pattern (an index in `PATTERNS`) and the lengths of
/// national number it applies to.
#[derive(Clone, Copy)]
pub struct Desc {
    pub pattern: u16,
    /// Bit `n` for length `n`; none set for any length, which is what an
    /// empty list means to `phonenumber`.
    pub(super) lengths: u32,
}

impl Desc {
    /// Whether the range applies to a national number of `len` digits.
    pub fn fits(self, len: usize) -> bool {
        self.lengths == 0 || (len < 32 && self.lengths & (1 << len) != 0)
    }
}

/// For the data file: a range of `PATTERNS[pattern]` for the lengths listed
/// (all lengths if none are).
pub const fn d(pattern: u16, lengths: &[u8]) -> Desc {
    let mut mask = 0u32;
    let mut i = 0;
    while i < lengths.len() {
        mask |= 1 << lengths[i];
        i += 1;
    }
    Desc {
        pattern,
        lengths: mask,
    }
}
