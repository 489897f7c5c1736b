//! Exact shares: a numerator over a denominator, compared and combined without rounding, so that a
//! status never flips on a floating-point error.

use std::cmp::Ordering;
use std::fmt;

use super::plan::FULL_SHARE_BP;

/// `numerator / denominator`, the denominator always positive.
#[derive(Debug, Clone, Copy)]
pub struct Ratio {
    numerator: i128,
    denominator: i128,
}

impl Ratio {
    /// `None` when the denominator is zero: a share of nothing is no share.
    pub fn new(numerator: i128, denominator: i128) -> Option<Ratio> {
        match denominator.cmp(&0) {
            Ordering::Equal => None,
            Ordering::Greater => Some(Ratio {
                numerator,
                denominator,
            }),
            Ordering::Less => Some(Ratio {
                numerator: -numerator,
                denominator: -denominator,
            }),
        }
    }

    pub fn zero() -> Ratio {
        Ratio {
            numerator: 0,
            denominator: 1,
        }
    }

    /// A share given in basis points: 7000 is 70%.
    pub fn from_basis_points(basis_points: u32) -> Ratio {
        Ratio {
            numerator: basis_points.into(),
            denominator: FULL_SHARE_BP.into(),
        }
    }

    pub fn to_f64(self) -> f64 {
        self.numerator as f64 / self.denominator as f64
    }

    pub fn is_negative(self) -> bool {
        self.numerator < 0
    }

    pub fn minus(self, other: Ratio) -> Ratio {
        reduced(
            self.numerator * other.denominator - other.numerator * self.denominator,
            self.denominator * other.denominator,
        )
    }

    pub fn plus(self, other: Ratio) -> Ratio {
        reduced(
            self.numerator * other.denominator + other.numerator * self.denominator,
            self.denominator * other.denominator,
        )
    }

    /// Multiplies by `numerator / denominator`, a positive factor.
    pub fn scaled(self, numerator: i128, denominator: i128) -> Ratio {
        reduced(self.numerator * numerator, self.denominator * denominator)
    }

    /// `self / other`, if `other` is not zero.
    pub fn divided_by(self, other: Ratio) -> Option<Ratio> {
        Ratio::new(
            self.numerator * other.denominator,
            self.denominator * other.numerator,
        )
        .map(|ratio| reduced(ratio.numerator, ratio.denominator))
    }
}

/// Keeps numbers small so that chains of operations cannot overflow i128.
fn reduced(numerator: i128, denominator: i128) -> Ratio {
    let divisor = gcd(numerator.unsigned_abs(), denominator.unsigned_abs()).max(1) as i128;
    Ratio {
        numerator: numerator / divisor,
        denominator: denominator / divisor,
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl PartialEq for Ratio {
    fn eq(&self, other: &Ratio) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ratio {}

impl PartialOrd for Ratio {
    fn partial_cmp(&self, other: &Ratio) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ratio {
    fn cmp(&self, other: &Ratio) -> Ordering {
        (self.numerator * other.denominator).cmp(&(other.numerator * self.denominator))
    }
}

/// As a percentage with two decimals: "62.50%".
impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}%", self.to_f64() * 100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(numerator: i128, denominator: i128) -> Ratio {
        Ratio::new(numerator, denominator).unwrap()
    }

    #[test]
    fn ratios_compare_exactly() {
        assert_eq!(r(1, 3), r(2, 6));
        assert!(r(1, 3) < r(3_334, 10_000));
        assert!(r(1, 3) > r(3_333, 10_000));
        assert_eq!(r(1, -2), r(-1, 2));
        assert!(Ratio::new(1, 0).is_none());
    }

    #[test]
    fn arithmetic_is_exact() {
        assert_eq!(r(1, 2).minus(r(1, 3)), r(1, 6));
        assert_eq!(r(1, 2).plus(r(1, 3)), r(5, 6));
        assert_eq!(r(1, 6).divided_by(r(1, 3)).unwrap(), r(1, 2));
        assert_eq!(Ratio::from_basis_points(7000), r(7, 10));
        assert_eq!(r(1, 3).scaled(3, 1), r(1, 1));
        assert_eq!(r(5, 8).to_string(), "62.50%");
    }
}
