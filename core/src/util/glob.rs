//! Glob-style matching as Redis's `stringmatchlen` (KEYS, SCAN MATCH,
//! PSUBSCRIBE, CONFIG GET patterns): `*`, `?`, `[...]` with ranges and `^`,
//! and `\` escapes. Bytes, not characters.

/// Whether `string` matches `pattern`; `nocase` folds ASCII case.
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    match_from(pattern, string, nocase, &mut skip_longer, 0)
}

/// Nested `*` recursion is bounded like the pattern length; Redis 7.0 has no
/// extra bound, but a 64 KiB pattern of stars must not blow our stack.
const MAX_DEPTH: usize = 1000;

fn fold(c: u8, nocase: bool) -> u8 {
    if nocase {
        c.to_ascii_lowercase()
    } else {
        c
    }
}

fn match_from(mut pattern: &[u8], mut string: &[u8], nocase: bool, skip_longer: &mut bool, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    while !pattern.is_empty() && !string.is_empty() {
        match pattern[0] {
            b'*' => {
                while pattern.len() > 1 && pattern[1] == b'*' {
                    pattern = &pattern[1..];
                }
                if pattern.len() == 1 {
                    return true;
                }
                while !string.is_empty() {
                    if match_from(&pattern[1..], string, nocase, skip_longer, depth + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    string = &string[1..];
                }
                *skip_longer = true;
                return false;
            }
            b'?' => {
                string = &string[1..];
            }
            b'[' => {
                pattern = &pattern[1..];
                let not = pattern.first() == Some(&b'^');
                if not {
                    pattern = &pattern[1..];
                }
                let mut matched = false;
                loop {
                    if pattern.len() >= 2 && pattern[0] == b'\\' {
                        pattern = &pattern[1..];
                        if pattern[0] == string[0] {
                            matched = true;
                        }
                    } else if pattern.first() == Some(&b']') {
                        break;
                    } else if pattern.is_empty() {
                        // Unterminated class: Redis steps back so the
                        // final increment lands on the end.
                        break;
                    } else if pattern.len() >= 3 && pattern[1] == b'-' {
                        let (mut start, mut end) = (pattern[0], pattern[2]);
                        if start > end {
                            core::mem::swap(&mut start, &mut end);
                        }
                        let c = fold(string[0], nocase);
                        let (start, end) = (fold(start, nocase), fold(end, nocase));
                        pattern = &pattern[2..];
                        if c >= start && c <= end {
                            matched = true;
                        }
                    } else if fold(pattern[0], nocase) == fold(string[0], nocase) {
                        matched = true;
                    }
                    pattern = &pattern[1..];
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                string = &string[1..];
            }
            c => {
                let literal = if c == b'\\' && pattern.len() >= 2 {
                    pattern = &pattern[1..];
                    pattern[0]
                } else {
                    c
                };
                if fold(literal, nocase) != fold(string[0], nocase) {
                    return false;
                }
                string = &string[1..];
            }
        }
        if !pattern.is_empty() {
            pattern = &pattern[1..];
        }
        if string.is_empty() {
            while pattern.first() == Some(&b'*') {
                pattern = &pattern[1..];
            }
            break;
        }
    }
    pattern.is_empty() && string.is_empty()
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn matches_like_stringmatchlen() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "anything", true),
            ("h?llo", "hello", true),
            ("h*llo", "heeeello", true),
            ("h[ae]llo", "hallo", true),
            ("h[ae]llo", "hillo", false),
            ("h[^e]llo", "hallo", true),
            ("h[^e]llo", "hello", false),
            ("h[a-b]llo", "hbllo", true),
            ("h[b-a]llo", "hallo", true),
            ("h\\*llo", "h*llo", true),
            ("h\\*llo", "hello", false),
            ("a*", "", false),
            ("*", "", false),
            ("", "", true),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("[abc", "a", true),
            ("user:*", "user:1", true),
        ];
        for (pattern, string, expected) in cases {
            assert_eq!(
                glob_match(pattern.as_bytes(), string.as_bytes(), false),
                *expected,
                "{pattern} ~ {string}"
            );
        }
        assert!(glob_match(b"HELLO", b"hello", true));
    }
}
