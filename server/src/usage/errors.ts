import { AppError, Errors } from '../platform/errors.ts';

/** The errors of usage and budgets, one code each with one status. */
export const UsageErrors = {
  budgetNotFound: (id: string) => Errors.notFound('budget', id),
  priceNotFound: (model: string) => Errors.notFound('org price of model', model),
  /** A budget scoped to something that is not the org's (or not there at all). */
  unknownScope: (scope: string, id: string) =>
    Errors.validation(
      `${scope} ${id} is not one of this organisation's; a ${scope} budget names one of them`,
      {
        scope,
        scopeId: id,
      },
    ),
  scopeIdForOrg: () => Errors.validation('an org budget names no scopeId: it covers the whole organisation'),
  scopeIdMissing: (scope: string) =>
    Errors.validation(`a ${scope} budget needs scopeId: the ${scope} it limits`),
  managedByPlan: (id: string) =>
    new AppError(
      409,
      'budget_managed_by_plan',
      `budget ${id} is the monthly budget of the organisation's billing plan; change the plan instead`,
    ),
};
