//! Human-readable figures for the text reports of `pincer doctor` and `pincer debug memory`.

/// Bytes in binary units: `512 B`, `1.5 KiB`, `12.3 MiB`, `2.0 GiB`.
pub(crate) fn bytes(value: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if value < 1024 {
        return format!("{value} B");
    }
    let mut scaled = value as f64 / 1024.0;
    let mut unit = 0;
    while scaled >= 1024.0 && unit + 1 < UNITS.len() {
        scaled /= 1024.0;
        unit += 1;
    }
    format!("{scaled:.1} {}", UNITS[unit])
}

/// Optional bytes; `-` when unknown.
pub(crate) fn maybe_bytes(value: Option<u64>) -> String {
    value.map(bytes).unwrap_or_else(|| "-".to_string())
}

/// Seconds as `3d 4h`, `5h 6m`, `7m 8s` or `9s`.
pub(crate) fn duration(secs: u64) -> String {
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(5 * 1024 * 1024 * 1024), "5.0 GiB");
        assert_eq!(maybe_bytes(None), "-");
        assert_eq!(duration(9), "9s");
        assert_eq!(duration(428), "7m 8s");
        assert_eq!(duration(18_360), "5h 6m");
        assert_eq!(duration(273_600), "3d 4h");
    }
}
