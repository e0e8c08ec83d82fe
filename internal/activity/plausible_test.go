package activity

import (
	"testing"
	"time"
)

// TestReadersLeaveOutValuesNoWatchCanMeasure: an elevation of 1e308 or
// 20 km, a heart rate of 300, a speed of 1e30 m/s or a distance of 1e300 m
// is read as no value, in each format, and nothing that is not finite
// enters a point.
func TestReadersLeaveOutValuesNoWatchCanMeasure(t *testing.T) {
	const gpx = `<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1" xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">
<trk><type>running</type><trkseg>
<trkpt lat="45.0000" lon="5.0000"><ele>1e308</ele><time>2024-05-01T08:00:00Z</time><extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>300</gpxtpx:hr><gpxtpx:cad>900</gpxtpx:cad></gpxtpx:TrackPointExtension></extensions></trkpt>
<trkpt lat="45.0010" lon="5.0000"><ele>20000</ele><time>2024-05-01T08:00:30Z</time></trkpt>
<trkpt lat="45.0020" lon="5.0010"><ele>-1000</ele><time>2024-05-01T08:01:00Z</time></trkpt>
</trkseg></trk></gpx>`
	const tcx = `<?xml version="1.0" encoding="UTF-8"?>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"><Activities><Activity Sport="Running">
<Lap StartTime="2024-05-01T08:00:00Z"><TotalTimeSeconds>1e300</TotalTimeSeconds><DistanceMeters>1e300</DistanceMeters><Track>
<Trackpoint><Time>2024-05-01T08:00:00Z</Time><AltitudeMeters>1e308</AltitudeMeters><DistanceMeters>1e300</DistanceMeters><HeartRateBpm><Value>300</Value></HeartRateBpm><Extensions><TPX><Speed>1e30</Speed></TPX></Extensions></Trackpoint>
<Trackpoint><Time>2024-05-01T08:00:30Z</Time><AltitudeMeters>9500</AltitudeMeters><DistanceMeters>100</DistanceMeters></Trackpoint>
</Track></Lap></Activity></Activities></TrainingCenterDatabase>`
	start := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	fit := encodeFIT(t, []Point{
		{Time: start, ElevationM: 20000, HasElevation: true, HeartRateBPM: 252},
		{Time: start.Add(30 * time.Second), ElevationM: -900, HasElevation: true},
	})
	for name, data := range map[string][]byte{"run.gpx": []byte(gpx), "run.tcx": []byte(tcx), "run.fit": fit} {
		act := mustRead(t, name, data)
		for i, p := range act.Points {
			if p.HasElevation || p.HasSpeed || p.HeartRateBPM != 0 || p.CadenceSPM != 0 || (p.HasDistance && p.DistanceM > 100) {
				t.Errorf("%s point %d keeps an impossible value: %+v", name, i, p)
			}
		}
		if act.Device != nil && !(act.Device.TimerS < maxLapS && act.Device.DistanceM < maxDistanceM) {
			t.Errorf("%s: the device's totals keep an impossible lap: %+v", name, act.Device)
		}
		if d := Derive(act); !finite(d.DistanceM) || !finite(d.MovingS) || !finite(d.GainM) || !finite(d.LossM) {
			t.Errorf("%s: derived figures not finite: %+v", name, d)
		}
	}
}
