package activity

// Units is how distances, paces and heights are shown: the site's choice,
// or an author's.
type Units string

const (
	Metric   Units = "metric"
	Imperial Units = "imperial"
)

// MetresPerFoot is the length of an international foot.
const MetresPerFoot = 0.3048

// Valid reports whether u is one of the units a setting may name.
func (u Units) Valid() bool { return u == Metric || u == Imperial }

// UnitM is the length of the distance unit in metres: a kilometre or a
// mile.
func (u Units) UnitM() float64 {
	if u == Imperial {
		return MetresPerMile
	}
	return MetresPerKm
}

// Abbrev is the distance unit's short name: "km" or "mi".
func (u Units) Abbrev() string {
	if u == Imperial {
		return "mi"
	}
	return "km"
}
