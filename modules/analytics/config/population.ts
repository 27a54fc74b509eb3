/**
 * Resident population by region, for rates per 10,000 people. Version 2025-01 (approximate figures for
 * 1 January 2025 from the project's reference notes, shared/reference/kazakhstan.md, which marks every one
 * "[verify]": none was taken from a stat.gov.kz table). Replace with the Bureau of National Statistics'
 * «Численность населения РК по полу и регионам» before rates are published; districts have no figures yet, so
 * their rates are null.
 */
export const POPULATION_VERSION = '2025-01-approx';
export const POPULATION_SOURCE = 'approximate, 1 Jan 2025 (reference notes; to be replaced by stat.gov.kz figures)';

export const REGION_POPULATION: Record<string, number> = {
  '100000000': 600_000, // Abai
  '110000000': 780_000, // Akmola
  '150000000': 930_000, // Aktobe
  '190000000': 1_500_000, // Almaty oblast
  '230000000': 700_000, // Atyrau
  '270000000': 690_000, // West Kazakhstan
  '310000000': 1_200_000, // Zhambyl
  '330000000': 700_000, // Jetisu
  '350000000': 1_130_000, // Karaganda
  '390000000': 830_000, // Kostanay
  '430000000': 840_000, // Kyzylorda
  '470000000': 780_000, // Mangystau
  '550000000': 750_000, // Pavlodar
  '590000000': 530_000, // North Kazakhstan
  '610000000': 2_100_000, // Turkistan
  '620000000': 220_000, // Ulytau
  '630000000': 720_000, // East Kazakhstan
  '710000000': 1_500_000, // Astana
  '750000000': 2_300_000, // Almaty city
  '790000000': 1_250_000, // Shymkent
};

export const COUNTRY_POPULATION = 20_300_000;
