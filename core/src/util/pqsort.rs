//! Redis's partial quicksort (`pqsort`), which SORT uses when BY comes
//! with a LIMIT: only the requested page is put in order. It is not
//! stable, and SORT replies show where it leaves elements that compare
//! equal, so vitrine sorts pages with the same published algorithm.

use core::cmp::Ordering;

/// Sorts enough of `items` that positions `page.0..=page.1` hold what a
/// full sort would put there (Redis's `pqsort`): Bentley and McIlroy's
/// quicksort ("Engineering a Sort Function", 1993) with a median of three
/// (of nine above 40 elements) as pivot, a three-way partition that parks
/// equal elements at both ends first, insertion sort below 7 elements, and
/// no descent into parts that miss the page. Elements that compare equal
/// end up in the order this algorithm leaves them, which SORT replies show.
pub fn partial_quicksort<T>(items: &mut [T], page: (isize, isize), order: &mut impl FnMut(&T, &T) -> Ordering) {
    use Ordering::{Equal, Greater, Less};
    // Whether the part `lo..lo + n` holds any position of the page.
    let touches = |lo: isize, n: isize| {
        let (first, last) = (lo, lo + n - 1);
        !((page.0 < first && page.1 < first) || (page.0 > last && page.1 > last))
    };
    let (mut lo, mut n) = (0usize, items.len());
    loop {
        let part = &mut items[lo..lo + n];
        if n < 7 {
            for m in 1..n {
                let mut l = m;
                while l > 0 && order(&part[l - 1], &part[l]) == Greater {
                    part.swap(l, l - 1);
                    l -= 1;
                }
            }
            return;
        }
        let mut median = |part: &[T], a: usize, b: usize, c: usize| {
            if order(&part[a], &part[b]) == Less {
                if order(&part[b], &part[c]) == Less {
                    b
                } else if order(&part[a], &part[c]) == Less {
                    c
                } else {
                    a
                }
            } else if order(&part[b], &part[c]) == Greater {
                b
            } else if order(&part[a], &part[c]) == Less {
                a
            } else {
                c
            }
        };
        let mut pivot = n / 2;
        if n > 7 {
            let (mut left, mut right) = (0, n - 1);
            if n > 40 {
                let d = n / 8;
                left = median(part, left, left + d, left + 2 * d);
                pivot = median(part, pivot - d, pivot, pivot + d);
                right = median(part, right - 2 * d, right - d, right);
            }
            pivot = median(part, left, pivot, right);
        }
        part.swap(0, pivot);
        // part[1..pa] and part[pd + 1..] equal the pivot; part[pa..pb] are
        // smaller, part[pc + 1..=pd] larger.
        let (mut pa, mut pb, mut pc, mut pd) = (1usize, 1usize, n as isize - 1, n - 1);
        loop {
            while pb as isize <= pc {
                let ord = order(&part[pb], &part[0]);
                if ord == Greater {
                    break;
                }
                if ord == Equal {
                    part.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb as isize <= pc {
                let at = pc as usize;
                let ord = order(&part[at], &part[0]);
                if ord == Less {
                    break;
                }
                if ord == Equal {
                    part.swap(at, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb as isize > pc {
                break;
            }
            part.swap(pb, pc as usize);
            pb += 1;
            pc -= 1;
        }
        // Move the equal runs from the ends to the middle.
        let r = pa.min(pb - pa);
        swap_runs(part, 0, pb - r, r);
        let larger = (pd as isize - pc) as usize;
        let r = larger.min(n - pd - 1);
        swap_runs(part, pb, n - r, r);
        let smaller = pb - pa;
        if smaller > 1 && touches(lo as isize, smaller as isize) {
            partial_quicksort_at(items, lo, smaller, page, order);
        }
        if larger > 1 && touches((lo + n - larger) as isize, larger as isize) {
            lo += n - larger;
            n = larger;
            continue;
        }
        return;
    }
}

/// [`partial_quicksort`] of `items[lo..lo + n]`, page positions counted
/// in the whole of `items`.
fn partial_quicksort_at<T>(
    items: &mut [T],
    lo: usize,
    n: usize,
    page: (isize, isize),
    order: &mut impl FnMut(&T, &T) -> Ordering,
) {
    let shifted = (page.0 - lo as isize, page.1 - lo as isize);
    partial_quicksort(&mut items[lo..lo + n], shifted, order);
}

/// Swaps `items[a..a + n]` with `items[b..b + n]` element by element.
fn swap_runs<T>(items: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        items.swap(a + i, b + i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use std::vec;

    proptest::proptest! {
        #[test]
        fn the_partial_quicksort_fills_the_page_as_a_full_sort(
            mut values in proptest::collection::vec(0u8..20, 0..120),
            first in 0usize..130,
            count in 0usize..130,
        ) {
            let mut sorted = values.clone();
            sorted.sort();
            let last = (first + count).min(values.len()) as isize - 1;
            partial_quicksort(&mut values, (first as isize, last), &mut |a: &u8, b: &u8| a.cmp(b));
            let mut left = values.clone();
            left.sort();
            proptest::prop_assert_eq!(left, sorted.clone());
            for at in (first..values.len()).take_while(|&at| at as isize <= last) {
                proptest::prop_assert_eq!(values[at], sorted[at]);
            }
        }
    }

    #[test]
    fn ties_keep_the_order_redis_quicksort_leaves() {
        // Thirteen equal elements, the first five asked for (from
        // redis-server 7.0: `SORT l BY nosuch_* ALPHA LIMIT 0 5`).
        let mut items: Vec<(u8, i32)> = [5, 3, 9, 1, 7, 2, 8, 4, 6, 0, 11, 15, 13]
            .iter()
            .map(|&n| (0, n))
            .collect();
        partial_quicksort(&mut items, (0, 4), &mut |a, b| a.0.cmp(&b.0));
        let page: Vec<i32> = items[..5].iter().map(|&(_, n)| n).collect();
        assert_eq!(page, vec![13, 3, 9, 1, 7]);
    }
}
