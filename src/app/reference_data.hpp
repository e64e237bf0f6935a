#pragma once

#include "app/record_service.hpp"
#include "core/status.hpp"

namespace ctims::app {

struct ReferenceDataReport {
  int locations_created = 0;
  int agencies_created = 0;
};

// Loads the reference data compiled into the binary (data/seed/): Lao PDR's
// provinces with ISO 3166-2 codes, Bokeo's five districts, neighbouring
// countries, and Bokeo's agencies. Idempotent: a location or agency whose code
// already exists is left as it is. Goes through `service`, so every record
// created has its history like any other write.
core::Result<ReferenceDataReport> LoadReferenceData(RecordService& service, const Principal& actor);

}  // namespace ctims::app
