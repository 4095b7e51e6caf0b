import type { components } from './schema';

// The API's schemas the pages use, by the names the pages speak of (generated from web/openapi/v1.json).
type Schemas = components['schemas'];
export type AppConfig = Schemas['AppConfig'];
export type CoverageReport = Schemas['CoverageReport'];
export type CoverageRow = Schemas['CoverageRow'];
export type ChainReport = Schemas['ChainVerification'];
export type WorklistPage = Schemas['PagedOfCaseDetails'];
export type CaseView = Schemas['CaseDetails'];
export type CaseHistory = Schemas['CaseHistory'];
export type CoverageTimeline = Schemas['CoverageTimeline'];
export type BudgetYear = Schemas['BudgetYear'];
export type RegencyView = Schemas['RegencyView'];
export type SubsidyForecast = Schemas['SubsidyForecastReport'];
export type ForecastRow = Schemas['ForecastRow'];
export type SubjectAccessReport = Schemas['SubjectAccessReport'];
export type AccessLogPage = Schemas['PagedOfAccessLogEntry'];
export type ReconciliationView = Schemas['ReconciliationView'];
