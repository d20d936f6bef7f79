// How Mozilla's ical.js reads calendar files: the instants of each event's start and end.
// Usage: node ical-instants.mjs < files.ics
// Standard input holds one or more VCALENDARs, one after the other. Each calendar's VTIMEZONEs are registered
// with ICAL.TimezoneService before its events are read. Prints a JSON list of
// {uid, start, end, startZone, endZone}: start and end as UTC ISO strings, the zones as ical.js resolved them
// (a TZID it could not resolve leaves a floating time, shown with zone "floating").
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const text = readFileSync(0, "utf8");
const calendars = text.split(/(?=^BEGIN:VCALENDAR\r?$)/m).filter((part) => part.trim());
const results = [];
for (const part of calendars) {
  const root = new ICAL.Component(ICAL.parse(part));
  for (const vtimezone of root.getAllSubcomponents("vtimezone")) {
    const tzid = vtimezone.getFirstPropertyValue("tzid");
    if (ICAL.TimezoneService.has(tzid)) ICAL.TimezoneService.remove(tzid);
    ICAL.TimezoneService.register(vtimezone);
  }
  for (const vevent of root.getAllSubcomponents("vevent")) {
    const event = new ICAL.Event(vevent);
    const instant = (time) => time.toJSDate().toISOString();
    const zone = (time) => (time.zone ? time.zone.tzid : "floating");
    results.push({
      uid: event.uid,
      start: instant(event.startDate),
      end: instant(event.endDate),
      startZone: zone(event.startDate),
      endZone: zone(event.endDate),
    });
  }
}
process.stdout.write(JSON.stringify(results));
