#include "projections/vocabulary.h"

namespace caseledger::projections {}  // namespace caseledger::projections
