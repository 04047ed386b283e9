#include "projections/legal_basis.h"

namespace caseledger::projections {}  // namespace caseledger::projections
