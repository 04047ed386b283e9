#include "projections/case_state.h"

namespace caseledger::projections {}  // namespace caseledger::projections
