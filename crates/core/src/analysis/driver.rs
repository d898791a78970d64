//! The attention drivers: what a score can listen to (docs/algorithm.md,
//! section 15), with their ids, units and one-line descriptions.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// One attention driver: a number per candidate grain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Driver {
    /// Windowed power `P_i` (section 4).
    Rms,
    /// Rising power `max(0, P_i - P_(i-1))`.
    Onset,
    /// Absolute power change `|P_i - P_(i-1)|`.
    Edge,
    /// Rising level in dB.
    OnsetDb,
    /// Spectral centroid, Hz.
    Centroid,
    /// Spectral flatness (Wiener entropy), 0..1.
    Flatness,
    /// Spectral flux (rising magnitudes), linear magnitude.
    Flux,
    /// Zero-crossing rate, crossings per sample.
    Zcr,
    /// YIN confidence, 0..1.
    Periodicity,
    /// YIN fundamental frequency, Hz (0 where not periodic).
    Pitch,
}

/// How a driver is brought to [0, 1] in a mix (section 15).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Normalisation {
    /// Divided by the maximum (floored at 1e-30), as section 4 does.
    Max,
    /// Minimum to 0, maximum to 1 (all 0 when they are equal).
    Range,
}

impl Driver {
    /// Every driver, in the order of section 15's table (the report's order).
    pub const ALL: [Driver; 10] = [
        Self::Rms,
        Self::Onset,
        Self::Edge,
        Self::OnsetDb,
        Self::Centroid,
        Self::Flatness,
        Self::Flux,
        Self::Zcr,
        Self::Periodicity,
        Self::Pitch,
    ];

    /// The name in a score (`onset-db`) and in the report.
    pub const fn id(self) -> &'static str {
        match self {
            Self::Rms => "rms",
            Self::Onset => "onset",
            Self::Edge => "edge",
            Self::OnsetDb => "onset-db",
            Self::Centroid => "centroid",
            Self::Flatness => "flatness",
            Self::Flux => "flux",
            Self::Zcr => "zcr",
            Self::Periodicity => "periodicity",
            Self::Pitch => "pitch",
        }
    }

    /// The unit of the raw values.
    pub fn unit(self) -> &'static str {
        match self {
            Self::Rms | Self::Onset | Self::Edge => "power",
            Self::OnsetDb => "dB",
            Self::Centroid | Self::Pitch => "Hz",
            Self::Flatness | Self::Periodicity => "0..1",
            Self::Flux => "magnitude",
            Self::Zcr => "per sample",
        }
    }

    /// What it hears, in one line, with its unit.
    pub const fn doc(self) -> &'static str {
        match self {
            Self::Rms => "loudness: windowed RMS power; loud moments repeat (power)",
            Self::Onset => "rising power: attacks repeat, the loud ones first (power)",
            Self::Edge => "power change: attacks and decays (power)",
            Self::OnsetDb => "rising level: attacks, a quiet one as much as a loud one (dB)",
            Self::Centroid => "brightness: the spectrum's centre of mass (Hz)",
            Self::Flatness => {
                "noisiness: 1 white noise, near 0 a tone; -flatness picks tonal grains (0..1)"
            }
            Self::Flux => "spectral change: new partials, new notes (magnitude)",
            Self::Zcr => "zero crossings: hiss, sibilants, high notes (per sample, 0..1)",
            Self::Periodicity => "how periodic (YIN confidence): notes, vowels vs noise (0..1)",
            Self::Pitch => "fundamental frequency (YIN), 0 where not periodic: high notes (Hz)",
        }
    }

    /// How a mix normalises it.
    pub fn normalisation(self) -> Normalisation {
        match self {
            Self::Rms | Self::Onset | Self::Edge => Normalisation::Max,
            _ => Normalisation::Range,
        }
    }

    /// Parses a driver name (`transient` is `onset`; `_` may stand for `-`).
    pub fn parse(s: &str) -> Option<Driver> {
        let t = s.trim().to_ascii_lowercase().replace('_', "-");
        if t == "transient" {
            return Some(Self::Onset);
        }
        Self::ALL.into_iter().find(|d| d.id() == t)
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }

    /// Whether it is measured in the analysis pass over the samples (the
    /// power-based drivers come from the powers alone).
    pub fn measured(self) -> bool {
        matches!(
            self,
            Self::Centroid
                | Self::Flatness
                | Self::Flux
                | Self::Zcr
                | Self::Periodicity
                | Self::Pitch
        )
    }
}

impl fmt::Display for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A set of drivers (`--drivers`: `all`, or names separated by commas).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct DriverSet(u16);

impl DriverSet {
    /// No driver.
    pub const NONE: DriverSet = DriverSet(0);

    /// Every driver.
    pub fn all() -> DriverSet {
        Driver::ALL.into_iter().collect()
    }
    pub fn contains(self, d: Driver) -> bool {
        self.0 & d.bit() != 0
    }
    pub fn insert(&mut self, d: Driver) {
        self.0 |= d.bit();
    }
    pub fn union(self, other: DriverSet) -> DriverSet {
        DriverSet(self.0 | other.0)
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The drivers in the set, in [`Driver::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Driver> {
        Driver::ALL.into_iter().filter(move |d| self.contains(*d))
    }
    /// Whether any driver needs the pass over the samples.
    pub fn any_measured(self) -> bool {
        self.iter().any(Driver::measured)
    }
    /// Whether any driver needs the spectrum (centroid, flatness, flux).
    pub fn any_spectral(self) -> bool {
        self.contains(Driver::Centroid)
            || self.contains(Driver::Flatness)
            || self.contains(Driver::Flux)
    }
    /// Whether YIN runs (periodicity or pitch).
    pub fn any_yin(self) -> bool {
        self.contains(Driver::Periodicity) || self.contains(Driver::Pitch)
    }

    /// Parses `all`, `none` (or nothing), or driver names separated by commas.
    pub fn parse(text: &str) -> Result<DriverSet, String> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("all") {
            return Ok(Self::all());
        }
        let mut set = DriverSet::NONE;
        if t.is_empty() || t.eq_ignore_ascii_case("none") {
            return Ok(set);
        }
        for name in t.split(',') {
            match Driver::parse(name) {
                Some(d) => set.insert(d),
                None => {
                    return Err(format!(
                        "unknown driver '{}'; expected all, none or names from {}",
                        name.trim(),
                        driver_list()
                    ));
                }
            }
        }
        Ok(set)
    }
}

/// `rms, onset, ...`: every driver's id.
pub fn driver_list() -> String {
    Driver::ALL.map(Driver::id).join(", ")
}

impl FromIterator<Driver> for DriverSet {
    fn from_iter<I: IntoIterator<Item = Driver>>(it: I) -> DriverSet {
        let mut s = DriverSet::NONE;
        for d in it {
            s.insert(d);
        }
        s
    }
}

impl fmt::Display for DriverSet {
    /// `all`, `none`, or the names separated by commas.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Self::all() {
            f.write_str("all")
        } else if self.is_empty() {
            f.write_str("none")
        } else {
            let ids: Vec<&str> = self.iter().map(Driver::id).collect();
            f.write_str(&ids.join(","))
        }
    }
}

impl Serialize for DriverSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for DriverSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<DriverSet, D::Error> {
        let t = String::deserialize(d)?;
        DriverSet::parse(&t).map_err(serde::de::Error::custom)
    }
}
