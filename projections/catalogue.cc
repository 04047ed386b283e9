#include "projections/catalogue.h"

namespace caseledger::projections {}  // namespace caseledger::projections
