"""Texts and number formatting of the planning summary and its exports (Swedish and English).

planning may not import the application's catalogs (:mod:`app.i18n`), so the summary's texts
live here, one dict per language with the same keys. Numbers are formatted as the app does:
Swedish with a decimal comma and a non-breaking space between thousands (``1 234,5``), English
``1,234.5``, half up, an en dash for a missing value.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from typing import Any

from babel import Locale
from babel.numbers import format_decimal

__all__ = ["LANGUAGES", "MISSING", "TEXT", "format_number", "format_percent", "text"]

LANGUAGES = ("sv", "en")
MISSING = "–"
_BABEL = {"sv": "sv_SE", "en": "en_GB"}

TEXT: dict[str, dict[str, str]] = {
    "sv": {
        "title": "Skolbibliotek – planeringsunderlag",
        "subtitle": "{area}, inventeringsår {year}",
        "scope.municipality": "Kommun",
        "scope.county": "Län",
        "generated": "Skapad {date} av {user}",
        "fictional_banner": "Fiktiva exempeldata – inga uppgifter om verkliga skolor.",
        "contents": "Innehåll",
        "page": "Sida {page} av {pages}",
        "missing": MISSING,
        "infinite": "∞",
        # sections
        "section.counts": "Översikt",
        "section.key_figures": "Nyckeltal mot referensvärden",
        "section.equity": "Likvärdighet i bemanning",
        "section.checklist": "Skollagens krav och KB:s fungerande skolbibliotek",
        "section.charts": "Diagram",
        "section.map": "Karta",
        "section.schools": "Skolenheter",
        "section.libraries": "Bibliotek",
        "section.scenarios": "Scenarier före och efter",
        "section.comments": "Synpunkter",
        "section.county": "Kommunerna i länet",
        "section.method": "Metod, definitioner och källor",
        "section.definitions": "Definitioner",
        "section.sources": "Källor",
        # counts
        "count.schools": "Skolenheter",
        "count.pupils": "Elever",
        "count.libraries": "Bibliotek",
        "count.share_staffed": "Elever med bibliotek bemannat ≥ {hours} h/vecka",
        # key figures
        "kf.figure": "Nyckeltal",
        "kf.value": "Värde",
        "kf.reference": "Referensvärde",
        "kf.difference": "Skillnad",
        "kf.pupils": "Elever räknade",
        "kf.assessment": "Bedömning",
        "kf.better": "Når referensvärdet",
        "kf.worse": "Under referensvärdet",
        "kf.worse_lower": "Över referensvärdet",
        "kf.no_reference": "Inget referensvärde",
        "kf.caption": (
            "Elevviktade medelvärden: varje elev får värdet för biblioteket som betjänar elevens "
            "skolenhet. Referensvärdena och deras källor står i metodbilagan."
        ),
        # equity
        "equity.indicator": "Bemannade timmar per vecka per 100 elever",
        "equity.caption": (
            "Spridningen av bemannade timmar per vecka per 100 elever mellan {schools} "
            "skolenheter och {pupils} elever, elevviktad: elever utan bibliotek räknas med 0."
        ),
        "equity.empty": "Det finns inga värden att beräkna likvärdigheten på.",
        "equity.statistic": "Mått",
        "equity.value": "Värde",
        "equity.meaning": "Betydelse",
        "equity.gini": "Gini-koefficient",
        "equity.gini.meaning": (
            "0 = alla elever har lika mycket bemanning, närmare 1 = bemanningen samlad hos få; "
            "lägre är mer likvärdigt."
        ),
        "equity.mcloone": "McLoone-index",
        "equity.mcloone.meaning": (
            "Vad den sämre hälften av eleverna har jämfört med om alla hade medianen; "
            "1 = ingen under medianen, lägre är mindre likvärdigt."
        ),
        "equity.federal_range_ratio": "Federal range ratio",
        "equity.federal_range_ratio.meaning": (
            "(P95 − P5) / P5: avståndet mellan eleven vid 95:e och eleven vid 5:e percentilen i "
            "förhållande till den vid 5:e; 0 = lika, lägre är mer likvärdigt, ∞ när P5 är 0."
        ),
        "equity.coefficient_of_variation": "Variationskoefficient",
        "equity.coefficient_of_variation.meaning": (
            "Standardavvikelsen delad med medelvärdet; 0 = lika, lägre är mer likvärdigt."
        ),
        "equity.p5": "5:e percentilen (P5)",
        "equity.p5.meaning": "95 % av eleverna har minst så här många timmar per 100 elever.",
        "equity.median": "Median",
        "equity.median.meaning": (
            "Hälften av eleverna har högst, hälften minst så här många timmar."
        ),
        "equity.p95": "95:e percentilen (P95)",
        "equity.p95.meaning": "5 % av eleverna har mer än så här många timmar per 100 elever.",
        # checklist
        "check.all_law": "Alla fyra lagkrav uppfyllda",
        "check.requirement": "Krav",
        "check.schools_pass": "Uppfyller",
        "check.schools": "Skolenheter",
        "check.share_schools": "Andel skolenheter",
        "check.share_pupils": "Andel elever",
        "check.unknown": "Okänt",
        "check.source": "Källa",
        "check.caption": (
            "Okänt räknas som inte uppfyllt; kolumnen Okänt visar hur många skolenheter som "
            "saknar uppgifter."
        ),
        "check_status.pass": "Uppfyller",
        "check_status.fail": "Uppfyller inte",
        "check_status.unknown": "Okänt",
        # scenarios
        "scenario.none": "Inga scenarier valda.",
        "scenario.key": "Kort",
        "scenario.name": "Scenario",
        "scenario.version": "Version",
        "scenario.status": "Status",
        "scenario.model": "Modell",
        "scenario.base_year": "Basår",
        "scenario.min": "Lägsta tim/v per 100 elever",
        "scenario.gini": "Gini",
        "scenario.mcloone": "McLoone",
        "scenario.hours_moved": "Flyttade timmar per vecka",
        "scenario.cost": "Kostnadsförändring kr/år",
        "scenario.before": "före",
        "scenario.after": "efter",
        "scenario.summary": "Sammanfattning",
        "scenario.base_year_note": (
            "Scenariot {scenario} bygger på inventeringsår {base_year}; rapporten gäller {year}."
        ),
        "outcomes.title": "Elevresultat i årskurs 9 och skolbiblioteken",
        "outcomes.note": (
            "Elevviktade samband över skolenheter mellan bibliotekets resurser och "
            "skolenhetens slutbetyg i årskurs 9, med 95 % bootstrapintervall, och samma samband "
            "sedan resultatet justerats för behov (andel elever med utländsk bakgrund och "
            "andel med eftergymnasialt utbildade föräldrar). Ett samband visar inte att "
            "biblioteket påverkar resultaten: båda beror på sådant som siffrorna inte fångar, "
            "och få skolenheter ger breda intervall. Skolenheter med sekretessmarkerade värden "
            "eller färre än 10 elever ingår inte. Källa: Skolverket (bearbetad)."
        ),
        "outcomes.col.indicator": "Biblioteksmått",
        "outcomes.col.outcome": "Resultat",
        "outcomes.col.schools": "Skolenheter",
        "outcomes.col.r": "r (95 % intervall)",
        "outcomes.col.r_adjusted": "r efter behovsjustering",
        "outcomes.col.excluded": "Utelämnade",
        "outcomes.interval": "{r} ({low} till {high})",
        "outcomes.indicator.staffed_hours_per_100_pupils": "Bemannade timmar per 100 elever",
        "outcomes.indicator.items_per_pupil": "Medier per elev",
        "outcomes.indicator.media_cost_sek_per_pupil": "Mediekostnad per elev",
        "outcomes.indicator.loans_per_pupil": "Lån per elev",
        "outcomes.outcome.mean_merit_value": "Genomsnittligt meritvärde",
        "outcomes.outcome.share_all_subjects": "Andel med godkänt i alla ämnen",
        "outcomes.outcome.share_eligible_vocational": "Andel behöriga till yrkesprogram",
        "model.reallocate": "Omfördelning av bemannade timmar",
        "model.min-cost": "Lägsta kostnad för att nå en standard",
        "model.manual": "Manuell ändring",
        "scenario_status.draft": "Utkast",
        "scenario_status.open_for_comment": "Ute på remiss",
        "scenario_status.revised": "Reviderat",
        "scenario_status.adopted": "Beslutat",
        "scenario_status.archived": "Arkiverat",
        # comments
        "comments.counts": (
            "Synpunkter totalt: {total} (öppna {open}, besvarade {answered}, lösta {resolved}). "
            "Dolda av moderator: {hidden}; de räknas inte och deras text visas inte."
        ),
        "comments.none": "Inga synpunkter.",
        "comments.latest": "Senaste synpunkterna",
        "comments.date": "Datum",
        "comments.scenario": "Scenario",
        "comments.school": "Skolenhet",
        "comments.role": "Roll",
        "comments.status": "Status",
        "comments.text": "Synpunkt",
        "comments.reply": "Svar",
        "comments.count": "Antal",
        "comment_status.open": "Öppen",
        "comment_status.answered": "Besvarad",
        "comment_status.resolved": "Löst",
        "comment_status.hidden": "Dold",
        "role.admin": "Administratör",
        "role.projektledare": "Projektledare",
        "role.referensgrupp": "Referensgrupp",
        "role.chef": "Chef",
        # tables
        "col.school_unit_code": "Skolenhetskod",
        "col.school_name": "Skolenhet",
        "col.municipality_code": "Kommunkod",
        "col.municipality_name": "Kommun",
        "col.district": "Skolområde",
        "col.stages": "Stadier",
        "col.organiser_type": "Huvudman",
        "col.pupils": "Elever",
        "col.library_id": "Biblioteks-id",
        "col.library_name": "Bibliotek",
        "col.library_kind": "Bibliotekstyp",
        "col.schools_served": "Skolenheter som betjänas",
        "col.pupils_served": "Elever som betjänas",
        "col.staffed_hours": "Bemannade timmar/vecka",
        "col.hours_lis_librarian": "Timmar utbildad bibliotekarie/vecka",
        "col.staffed_hours_per_100_pupils": "Timmar/vecka per 100 elever",
        "col.items_per_pupil": "Medier per elev",
        "col.law_status": "Alla lagkrav",
        "col.x": "X (SWEREF 99 TM)",
        "col.y": "Y (SWEREF 99 TM)",
        "col.schools": "Skolenheter",
        "col.libraries": "Bibliotek",
        "col.share_pupils_staffed": "Andel elever med bemannat bibliotek",
        "col.gini": "Gini, timmar per 100 elever",
        "col.scenario.hours_before": "{scenario}: timmar/vecka före",
        "col.scenario.hours_after": "{scenario}: timmar/vecka efter",
        "col.scenario.change_hours": "{scenario}: ändring timmar/vecka",
        "col.scenario.per_100_before": "{scenario}: per 100 elever före",
        "col.scenario.per_100_after": "{scenario}: per 100 elever efter",
        "short.per_100_now": "Per 100 nu",
        "short.staffed_hours": "Tim/vecka",
        "short.per_100_after": "{key} efter",
        "organiser_type.municipal": "Kommunal",
        "organiser_type.independent": "Enskild",
        "organiser_type.state": "Statlig",
        "organiser_type.region": "Region",
        "library_kind.own": "Eget skolbibliotek",
        "library_kind.shared": "Delat skolbibliotek",
        "library_kind.integrated": "Integrerat bibliotek",
        "library_kind.public_special_reasons": "Folkbibliotek (särskilda skäl)",
        "library_kind.book_room": "Bokrum",
        "library_kind.none": "Inget bibliotek",
        "schools.caption": (
            "En skolenhet visar värdena för biblioteket som betjänar den; skolenheter som delar "
            "bibliotek visar samma värden. {keys}"
        ),
        "county.caption": "Samma nyckeltal per kommun, elevviktade.",
        # charts and map
        "chart.staffing": "Bemannade timmar per vecka per 100 elever per skolenhet",
        "chart.staffing_county": "Bemannade timmar per vecka per 100 elever per kommun",
        "chart.now": "Nu ({year})",
        "chart.series": "Läge",
        "chart.school": "Skolenhet",
        "chart.municipality": "Kommun",
        "chart.checklist": "Andel elever vars skolenhet uppfyller kravet",
        "chart.share_pupils": "Andel elever (%)",
        "chart.scenarios": "Gini-koefficient före och efter per scenario",
        "chart.when": "När",
        "map.caption": (
            "Skolenheter (punkter, storlek efter antal elever, färg efter bibliotekstyp) och "
            "skolområden. Koordinater i SWEREF 99 TM (EPSG:3006)."
        ),
        "map.empty": "Inga koordinater att visa på kartan.",
        # workbook
        "sheet.summary": "Sammanfattning",
        "sheet.schools": "Per skola",
        "sheet.libraries": "Per bibliotek",
        "sheet.equity": "Likvärdighet",
        "sheet.checklist": "Checklista",
        "sheet.comments": "Synpunkter",
        "sheet.county": "Kommuner",
        "sheet.outcomes": "Resultat",
        "sheet.definitions": "Definitioner",
        "summary.area": "Område",
        "summary.scope": "Omfattning",
        "summary.year": "Inventeringsår",
        "summary.generated": "Skapad",
        "summary.by": "Av",
        "summary.municipalities": "Kommuner",
        "summary.item": "Uppgift",
        "summary.value": "Värde",
        "definition.term": "Begrepp",
        "definition.text": "Definition",
        "source.title": "Källa",
        "source.description": "Beskrivning",
        "source.url": "Länk",
        # definitions
        "definition.pupil_weighted.term": "Elevviktat medelvärde",
        "definition.pupil_weighted": (
            "Varje elev får värdet för biblioteket som betjänar elevens skolenhet; medelvärdet "
            "tas över eleverna. Betjänar ett bibliotek flera skolenheter räknas deras elever "
            "samman (nämnaren är elever som biblioteket betjänar)."
        ),
        "definition.share_staffed.term": "Elever med bibliotek bemannat ≥ {hours} h/vecka",
        "definition.share_staffed": (
            "Andel av eleverna vars bibliotek är bemannat minst {hours} timmar per vecka (KB:s "
            "gräns för bemannat skolbibliotek). Elever utan bibliotek räknas som ej bemannade; "
            "bibliotek utan uppgift om bemanning räknas inte."
        ),
        "definition.staffed_hours_per_100_pupils": (
            "Bibliotekets personaltimmar per vecka (alla personalkategorier) per 100 elever som "
            "biblioteket betjänar. Elever utan bibliotek räknas med 0."
        ),
        "definition.staff_fte_per_1000_pupils": (
            "Personaltimmar per vecka omräknade till årsverken (40 timmar per vecka = 1 "
            "årsverke) per 1 000 elever som biblioteket betjänar. Elever utan bibliotek räknas "
            "med 0."
        ),
        "definition.media_cost_sek_per_pupil": (
            "Mediekostnad (fysiska medier och e-medier) i kronor per elev som biblioteket "
            "betjänar. Elever utan bibliotek räknas med 0 kr."
        ),
        "definition.loans_per_pupil": (
            "Utlån under året per elev som biblioteket betjänar. Elever utan bibliotek räknas "
            "med 0; bibliotek utan uppgift om utlån räknas inte."
        ),
        "definition.items_per_pupil": (
            "Fysiska medier (utom läromedel, klassuppsättningar och e-böcker) per elev som "
            "biblioteket betjänar. Referensvärdet är den nedre gränsen för skolenheternas "
            "stadier, elevviktad."
        ),
        "definition.median_collection_age": (
            "Inventeringsåret minus bibliotekets medianutgivningsår för fysiska medier. Lägre är "
            "bättre; elever utan bibliotek räknas inte."
        ),
        "definition.checklist.term": "Skollagens checklista",
        "definition.checklist": (
            "Skollagen 2 kap. 36 § (från 1 juli 2025): skolbibliotek på den egna skolenheten "
            "(eller ett annat bibliotek vid särskilda skäl), bemannat, personal med biblioteks- "
            "och informationsvetenskaplig examen eftersträvas, biblioteksplan. Lagen anger inget "
            "timtal: bemannat betyder mer än 0 bemannade timmar per vecka. KB:s fungerande "
            "skolbibliotek (2012): katalog, i skolans lokaler, bemannat minst 20 timmar per "
            "vecka, minst 1 000 fysiska medier."
        ),
        "definition.scenario.term": "Scenario",
        "definition.scenario": (
            "En beräknad ändring av bibliotekens bemannade timmar per vecka: omfördelning (höj "
            "den lägsta behovsviktade bemanningen per elev och flytta så få timmar som möjligt), "
            "lägsta kostnad för att nå en standard, eller manuell ändring. Före och efter gäller "
            "scenariots basår; Gini och McLoone är elevviktade över scenariots bibliotek."
        ),
        "definition.cost.term": "Kostnadsförändring",
        "definition.cost": (
            "Ändringen av de totala timmarna per vecka × timkostnaden (standard 350 kr) × "
            "veckor per år (standard 40, läsåret). En kostnadsneutral omfördelning kostar 0 kr."
        ),
        "definition.comments.term": "Synpunkter",
        "definition.comments": (
            "Synpunkter från referensgrupp, chefer och projektledare på de valda scenarierna "
            "(alla versioner). Dolda synpunkter räknas separat och deras text tas aldrig med; "
            "författare anges bara med roll."
        ),
        # sources
        "source.inventory": "skolbib, inventering",
        "source.inventory.text": (
            "Bibliotekens personal, öppettider, bestånd, mediekostnader och utlån för "
            "inventeringsår {year}, så som de registrerats i skolbib."
        ),
        "source.pupils": "Skolverket, elevstatistik",
        "source.pupils.text": "Antal elever per skolenhet och läsår (Skolverkets statistik).",
        "source.law": "Skollagen (2010:800) 2 kap. 36 §",
        "source.law.text": (
            "Kraven på skolbibliotek i lydelsen från 1 juli 2025 (prop. Stärkta skolbibliotek)."
        ),
    },
    "en": {
        "title": "School libraries – planning summary",
        "subtitle": "{area}, inventory year {year}",
        "scope.municipality": "Municipality",
        "scope.county": "County",
        "generated": "Created {date} by {user}",
        "fictional_banner": "Fictional demo data – nothing here describes real schools.",
        "contents": "Contents",
        "page": "Page {page} of {pages}",
        "missing": MISSING,
        "infinite": "∞",
        "section.counts": "Overview",
        "section.key_figures": "Key figures against reference values",
        "section.equity": "Equity of staffing",
        "section.checklist": "The Education Act's requirements and KB's functioning school library",
        "section.charts": "Charts",
        "section.map": "Map",
        "section.schools": "School units",
        "section.libraries": "Libraries",
        "section.scenarios": "Scenarios before and after",
        "section.comments": "Comments",
        "section.county": "The county's municipalities",
        "section.method": "Method, definitions and sources",
        "section.definitions": "Definitions",
        "section.sources": "Sources",
        "count.schools": "School units",
        "count.pupils": "Pupils",
        "count.libraries": "Libraries",
        "count.share_staffed": "Pupils whose library is staffed ≥ {hours} h/week",
        "kf.figure": "Key figure",
        "kf.value": "Value",
        "kf.reference": "Reference value",
        "kf.difference": "Difference",
        "kf.pupils": "Pupils counted",
        "kf.assessment": "Assessment",
        "kf.better": "Meets the reference",
        "kf.worse": "Below the reference",
        "kf.worse_lower": "Above the reference",
        "kf.no_reference": "No reference value",
        "kf.caption": (
            "Pupil-weighted means: every pupil carries the value of the library serving the "
            "pupil's school unit. The reference values and their sources are in the appendix."
        ),
        "equity.indicator": "Staffed hours per week per 100 pupils",
        "equity.caption": (
            "The spread of staffed hours per week per 100 pupils over {schools} school units "
            "and {pupils} pupils, pupil-weighted: pupils without a library count with 0."
        ),
        "equity.empty": "There are no values to compute the equity statistics from.",
        "equity.statistic": "Statistic",
        "equity.value": "Value",
        "equity.meaning": "Meaning",
        "equity.gini": "Gini coefficient",
        "equity.gini.meaning": (
            "0 = every pupil has the same staffing, closer to 1 = staffing concentrated on few; "
            "lower is more equal."
        ),
        "equity.mcloone": "McLoone index",
        "equity.mcloone.meaning": (
            "What the worse-off half of the pupils has compared with everyone at the median; "
            "1 = nobody below the median, lower is less equal."
        ),
        "equity.federal_range_ratio": "Federal range ratio",
        "equity.federal_range_ratio.meaning": (
            "(P95 − P5) / P5: the gap between the pupil at the 95th and the pupil at the 5th "
            "percentile relative to the 5th; 0 = equal, lower is more equal, ∞ when P5 is 0."
        ),
        "equity.coefficient_of_variation": "Coefficient of variation",
        "equity.coefficient_of_variation.meaning": (
            "The standard deviation divided by the mean; 0 = equal, lower is more equal."
        ),
        "equity.p5": "5th percentile (P5)",
        "equity.p5.meaning": "95 % of the pupils have at least this many hours per 100 pupils.",
        "equity.median": "Median",
        "equity.median.meaning": "Half of the pupils have at most, half at least this many hours.",
        "equity.p95": "95th percentile (P95)",
        "equity.p95.meaning": "5 % of the pupils have more than this many hours per 100 pupils.",
        "check.all_law": "All four legal requirements met",
        "check.requirement": "Requirement",
        "check.schools_pass": "Met",
        "check.schools": "School units",
        "check.share_schools": "Share of school units",
        "check.share_pupils": "Share of pupils",
        "check.unknown": "Unknown",
        "check.source": "Source",
        "check.caption": (
            "Unknown counts as not met; the Unknown column shows how many school units lack "
            "the facts."
        ),
        "check_status.pass": "Met",
        "check_status.fail": "Not met",
        "check_status.unknown": "Unknown",
        "scenario.none": "No scenarios chosen.",
        "scenario.key": "Key",
        "scenario.name": "Scenario",
        "scenario.version": "Version",
        "scenario.status": "Status",
        "scenario.model": "Model",
        "scenario.base_year": "Base year",
        "scenario.min": "Lowest h/week per 100 pupils",
        "scenario.gini": "Gini",
        "scenario.mcloone": "McLoone",
        "scenario.hours_moved": "Hours moved per week",
        "scenario.cost": "Cost change SEK/year",
        "scenario.before": "before",
        "scenario.after": "after",
        "scenario.summary": "Summary",
        "scenario.base_year_note": (
            "The scenario {scenario} is based on inventory year {base_year}; the report is for "
            "{year}."
        ),
        "outcomes.title": "Year-9 results and the school libraries",
        "outcomes.note": (
            "Pupil-weighted associations across school units between the library's resources "
            "and the school unit's year-9 final grades, with 95 % bootstrap intervals, and the "
            "same after adjusting the results for need (share of pupils with a foreign "
            "background and share with parents with post-secondary education). An association "
            "does not show that the library affects results: both depend on things the figures "
            "do not capture, and few school units give wide intervals. School units with "
            "suppressed values or fewer than 10 pupils are left out. Source: Skolverket "
            "(processed)."
        ),
        "outcomes.col.indicator": "Library measure",
        "outcomes.col.outcome": "Result",
        "outcomes.col.schools": "School units",
        "outcomes.col.r": "r (95 % interval)",
        "outcomes.col.r_adjusted": "r after need adjustment",
        "outcomes.col.excluded": "Left out",
        "outcomes.interval": "{r} ({low} to {high})",
        "outcomes.indicator.staffed_hours_per_100_pupils": "Staffed hours per 100 pupils",
        "outcomes.indicator.items_per_pupil": "Items per pupil",
        "outcomes.indicator.media_cost_sek_per_pupil": "Media cost per pupil",
        "outcomes.indicator.loans_per_pupil": "Loans per pupil",
        "outcomes.outcome.mean_merit_value": "Mean merit value",
        "outcomes.outcome.share_all_subjects": "Share passing all subjects",
        "outcomes.outcome.share_eligible_vocational": "Share eligible for vocational programmes",
        "model.reallocate": "Reallocation of staffed hours",
        "model.min-cost": "Minimum cost to reach a standard",
        "model.manual": "Manual change",
        "scenario_status.draft": "Draft",
        "scenario_status.open_for_comment": "Open for comment",
        "scenario_status.revised": "Revised",
        "scenario_status.adopted": "Adopted",
        "scenario_status.archived": "Archived",
        "comments.counts": (
            "Comments in all: {total} (open {open}, answered {answered}, resolved {resolved}). "
            "Hidden by a moderator: {hidden}; they are not counted and their text is not shown."
        ),
        "comments.none": "No comments.",
        "comments.latest": "Latest comments",
        "comments.date": "Date",
        "comments.scenario": "Scenario",
        "comments.school": "School unit",
        "comments.role": "Role",
        "comments.status": "Status",
        "comments.text": "Comment",
        "comments.reply": "Reply",
        "comments.count": "Number",
        "comment_status.open": "Open",
        "comment_status.answered": "Answered",
        "comment_status.resolved": "Resolved",
        "comment_status.hidden": "Hidden",
        "role.admin": "Administrator",
        "role.projektledare": "Project leader",
        "role.referensgrupp": "Reference group",
        "role.chef": "Manager",
        "col.school_unit_code": "School unit code",
        "col.school_name": "School unit",
        "col.municipality_code": "Municipality code",
        "col.municipality_name": "Municipality",
        "col.district": "District",
        "col.stages": "Stages",
        "col.organiser_type": "Organiser",
        "col.pupils": "Pupils",
        "col.library_id": "Library id",
        "col.library_name": "Library",
        "col.library_kind": "Library kind",
        "col.schools_served": "School units served",
        "col.pupils_served": "Pupils served",
        "col.staffed_hours": "Staffed hours/week",
        "col.hours_lis_librarian": "LIS-qualified hours/week",
        "col.staffed_hours_per_100_pupils": "Hours/week per 100 pupils",
        "col.items_per_pupil": "Items per pupil",
        "col.law_status": "All legal requirements",
        "col.x": "X (SWEREF 99 TM)",
        "col.y": "Y (SWEREF 99 TM)",
        "col.schools": "School units",
        "col.libraries": "Libraries",
        "col.share_pupils_staffed": "Share of pupils with a staffed library",
        "col.gini": "Gini, hours per 100 pupils",
        "col.scenario.hours_before": "{scenario}: hours/week before",
        "col.scenario.hours_after": "{scenario}: hours/week after",
        "col.scenario.change_hours": "{scenario}: change hours/week",
        "col.scenario.per_100_before": "{scenario}: per 100 pupils before",
        "col.scenario.per_100_after": "{scenario}: per 100 pupils after",
        "short.per_100_now": "Per 100 now",
        "short.staffed_hours": "Hours/week",
        "short.per_100_after": "{key} after",
        "organiser_type.municipal": "Municipal",
        "organiser_type.independent": "Independent",
        "organiser_type.state": "State",
        "organiser_type.region": "Region",
        "library_kind.own": "Own school library",
        "library_kind.shared": "Shared school library",
        "library_kind.integrated": "Integrated library",
        "library_kind.public_special_reasons": "Public library (special reasons)",
        "library_kind.book_room": "Book room",
        "library_kind.none": "No library",
        "schools.caption": (
            "A school unit shows the figures of the library serving it; school units sharing a "
            "library show the same figures. {keys}"
        ),
        "county.caption": "The same key figures per municipality, pupil-weighted.",
        "chart.staffing": "Staffed hours per week per 100 pupils by school unit",
        "chart.staffing_county": "Staffed hours per week per 100 pupils by municipality",
        "chart.now": "Now ({year})",
        "chart.series": "State",
        "chart.school": "School unit",
        "chart.municipality": "Municipality",
        "chart.checklist": "Share of pupils whose school unit meets the requirement",
        "chart.share_pupils": "Share of pupils (%)",
        "chart.scenarios": "Gini coefficient before and after by scenario",
        "chart.when": "When",
        "map.caption": (
            "School units (points sized by pupils, coloured by library kind) and districts. "
            "Coordinates in SWEREF 99 TM (EPSG:3006)."
        ),
        "map.empty": "No coordinates to show on the map.",
        "sheet.summary": "Summary",
        "sheet.schools": "Per school",
        "sheet.libraries": "Per library",
        "sheet.equity": "Equity",
        "sheet.checklist": "Checklist",
        "sheet.comments": "Comments",
        "sheet.county": "Municipalities",
        "sheet.outcomes": "Outcomes",
        "sheet.definitions": "Definitions",
        "summary.area": "Area",
        "summary.scope": "Scope",
        "summary.year": "Inventory year",
        "summary.generated": "Created",
        "summary.by": "By",
        "summary.municipalities": "Municipalities",
        "summary.item": "Item",
        "summary.value": "Value",
        "definition.term": "Term",
        "definition.text": "Definition",
        "source.title": "Source",
        "source.description": "Description",
        "source.url": "Link",
        "definition.pupil_weighted.term": "Pupil-weighted mean",
        "definition.pupil_weighted": (
            "Every pupil carries the value of the library serving the pupil's school unit; the "
            "mean is taken over pupils. Where a library serves several school units their pupils "
            "are summed (the denominator is the pupils the library serves)."
        ),
        "definition.share_staffed.term": "Pupils whose library is staffed ≥ {hours} h/week",
        "definition.share_staffed": (
            "Share of pupils whose library is staffed at least {hours} hours a week (KB's "
            "threshold for a staffed school library). Pupils without a library count as not "
            "staffed; libraries without a staffing figure are left out."
        ),
        "definition.staffed_hours_per_100_pupils": (
            "The library's staff hours per week (all staff categories) per 100 pupils it "
            "serves. Pupils without a library count with 0."
        ),
        "definition.staff_fte_per_1000_pupils": (
            "Staff hours per week as full-time equivalents (40 hours a week = 1 FTE) per 1,000 "
            "pupils the library serves. Pupils without a library count with 0."
        ),
        "definition.media_cost_sek_per_pupil": (
            "Media cost (physical and e-media) in SEK per pupil the library serves. Pupils "
            "without a library count with 0 SEK."
        ),
        "definition.loans_per_pupil": (
            "Loans in the year per pupil the library serves. Pupils without a library count "
            "with 0; libraries without a loans figure are left out."
        ),
        "definition.items_per_pupil": (
            "Physical items (textbooks, class sets and e-books excluded) per pupil the library "
            "serves. The reference is the lower bound for the school units' stages, "
            "pupil-weighted."
        ),
        "definition.median_collection_age": (
            "The inventory year minus the library's median publication year of physical items. "
            "Lower is better; pupils without a library are left out."
        ),
        "definition.checklist.term": "The Education Act's checklist",
        "definition.checklist": (
            "Education Act (skollagen) ch. 2 § 36 (from 1 July 2025): a school library on the "
            "pupil's own school unit (or another library for special reasons), staffed, staff "
            "with a degree in library and information science sought, a library plan. The law "
            "sets no number of hours: staffed means more than 0 staffed hours a week. KB's "
            "functioning school library (2012): a catalogue, in the school's premises, staffed "
            "at least 20 hours a week, at least 1,000 physical items."
        ),
        "definition.scenario.term": "Scenario",
        "definition.scenario": (
            "A computed change of the libraries' staffed hours per week: reallocation (raise "
            "the lowest need-weighted staffing per pupil and move as few hours as possible), "
            "minimum cost to reach a standard, or a manual change. Before and after refer to "
            "the scenario's base year; Gini and McLoone are pupil-weighted over its libraries."
        ),
        "definition.cost.term": "Cost change",
        "definition.cost": (
            "The change of total hours per week × the hourly cost (default SEK 350) × weeks per "
            "year (default 40, the school year). A cost-neutral reallocation costs SEK 0."
        ),
        "definition.comments.term": "Comments",
        "definition.comments": (
            "Comments by the reference group, managers and project leaders on the chosen "
            "scenarios (all versions). Hidden comments are counted apart and their text is "
            "never included; authors appear by role only."
        ),
        "source.inventory": "skolbib, inventory",
        "source.inventory.text": (
            "The libraries' staff, opening hours, holdings, media costs and loans for inventory "
            "year {year}, as recorded in skolbib."
        ),
        "source.pupils": "Skolverket, pupil statistics",
        "source.pupils.text": "Pupils per school unit and school year (Skolverket's statistics).",
        "source.law": "Education Act (2010:800) ch. 2 § 36",
        "source.law.text": (
            "The requirements on school libraries as in force from 1 July 2025 (bill "
            "Stärkta skolbibliotek)."
        ),
    },
}


def text(key: str, lang: str, /, **fmt: Any) -> str:
    """The text of ``key`` in ``lang``, formatted with ``fmt``.

    Raises
    ------
    KeyError
        An unknown key (a typo must not print a key into a report).
    ValueError
        An unknown language.
    """
    if lang not in TEXT:
        raise ValueError(f"lang must be one of {LANGUAGES}, got {lang!r}")
    value = TEXT[lang][key]
    return value.format(**fmt) if fmt else value


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(_BABEL[lang])


def _finite(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def format_number(value: Any, decimals: int = 0, lang: str = "sv") -> str:
    """``value`` with ``decimals`` decimals, half up, in the language's style; ``–`` if missing.

    The same output as ``app.i18n.fmt_number``: ``format_number(1234.5, 1, "sv")`` is
    ``"1\\xa0234,5"``, in English ``"1,234.5"``.
    """
    number = _finite(value)
    if number is None:
        return MISSING
    number = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if number == 0:
        number = abs(number)  # no "-0,0"
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(number, format=pattern, locale=_locale(lang), decimal_quantization=False)


def format_percent(share: Any, decimals: int = 0, lang: str = "sv") -> str:
    """A fraction as a percentage: ``0.8`` → ``80 %`` (Swedish, non-breaking space), ``80%``."""
    number = _finite(share)
    if number is None:
        return MISSING
    sign = "\xa0%" if lang == "sv" else "%"
    return format_number(float(number) * 100, decimals, lang) + sign
