"""The tone checks judge constructions, not word lists: blame, non-apologies, passive evasion,
register and who speaks, in French and English.

Each construction is tried on sentences that show it and on sentences a good notice writes near
it (a storm named as a fact, a passive with its agent, "sorry, especially if", a mayor's office
signing); then on whole incidents, for the severity each check judges, the advice's language and
example, and what a preview pays.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from broadcast.content.wording import apologies, blame, passives, register, who_speaks
from broadcast.content.wording.apologies import find_non_apologies
from broadcast.content.wording.blame import find_blame
from broadcast.content.wording.checks import check_content
from broadcast.content.wording.clauses import literal_cue
from broadcast.content.wording.messages import EXAMPLES, which_check
from broadcast.content.wording.passives import find_passives
from broadcast.content.wording.register import find_register
from broadcast.content.wording.who_speaks import unaccountable
from broadcast.input.incident import load_incident
from tests.conftest import write
from tests.test_bad_incidents import bad_incidents, expected_check
from tests.test_wording_checks import EN, FR, change

BLAME = [
    ("en", "The fault was caused by our supplier. Engineers are replacing the pipe."),
    ("en", "This was down to our maintenance contractor."),
    ("en", "Because of an error by our IT vendor, payments failed."),
    ("en", "Acme Networks Ltd is responsible for the outage."),
    ("en", "Our hosting partner failed to renew the certificate."),
    ("en", "Residents who ignored the warning are now without water."),
    ("en", "Customers who did not follow our advice may have damaged their boilers."),
    ("en", "Despite repeated warnings, some drivers entered the flooded road."),
    ("en", "Had you read our text, you would have kept some water aside."),
    ("en", "Due to exceptional weather conditions, some homes are without power."),
    ("en", "This was caused by circumstances beyond our control."),
    ("en", "No forecaster could have predicted a storm like this."),
    ("fr", "La faute en revient à notre fournisseur."),
    ("fr", "La panne est imputable à l'opérateur du réseau."),
    ("fr", "La coupure est liée à une erreur de notre prestataire informatique."),
    ("fr", "Notre sous-traitant n'a pas respecté le plan des réseaux."),
    ("fr", "Les usagers qui n'avaient pas suivi nos consignes ont été touchés."),
    ("fr", "Malgré nos recommandations, certains habitants ont bu l'eau."),
    ("fr", "Si vous aviez suivi nos conseils, vous auriez de l'eau."),
    ("fr", "En raison de conditions météorologiques exceptionnelles, le trafic est interrompu."),
    ("fr", "Il s'agit d'un cas de force majeure."),
    ("fr", "Cette panne est indépendante de notre volonté."),
    ("en", "The root cause lies with a third-party DNS provider."),
    ("en", "Many of the burst pipes were in homes whose owners had not lagged them as advised."),
    ("en", "Drivers who chose to ignore the closure signs are slowing our crews down."),
    ("en", "These delays stem from unprecedented demand over the holiday weekend."),
    ("en", "The heatwave, the worst on record, left us no choice."),
    ("fr", "L'incident relève entièrement de la responsabilité de notre sous-traitant."),
    (
        "fr",
        "Des clients n'ont pas respecté les consignes de sécurité, ce qui a aggravé la situation.",
    ),
    ("fr", "La panne provient d'une erreur humaine chez notre partenaire logistique."),
    ("fr", "Face à des pluies d'une intensité inédite, nos installations ont cédé."),
    ("fr", "Cet épisode neigeux exceptionnel explique à lui seul les retards."),
    ("en", "Frankly, the delay is on the council's highways contractor, not on us."),
    ("en", "Tenants who kept using the lifts after the alarm made the damage worse."),
    ("en", "We were let down by the company that maintains our pumps."),
    ("en", "Nobody could have seen an ice storm of this scale coming."),
    ("en", "It was the subcontractor's negligence that caused the leak."),
    ("en", "Several callers never bothered to read the text we sent at 7am."),
    ("fr", "Le transporteur chargé des livraisons n'a pas tenu ses engagements."),
    ("fr", "Ce sont des conditions climatiques hors normes qui ont provoqué ces dégâts."),
    ("fr", "Une partie des habitants a ignoré l'ordre d'évacuation."),
    ("fr", "Nous avons été victimes d'une défaillance de notre fournisseur d'accès."),
    ("fr", "Il faut reconnaître que la météo ne nous a pas aidés : un orage exceptionnel."),
    (
        "en",
        "Unfortunately some residents chose not to register for alerts, so they were not warned.",
    ),
    ("en", "The contractor we hired ignored the marked pipe plans."),
    ("en", "Weather on this scale is simply beyond what any network is built for."),
    ("en", "Nothing about this was in our hands: the regulator ordered the shutdown."),
    ("en", "Customers who skipped the update are the ones now locked out."),
    ("fr", "C'est l'opérateur national qui a coupé la ligne sans nous prévenir."),
    ("fr", "Les automobilistes ayant ignoré la déviation ont bloqué les secours."),
    ("fr", "Cette situation résulte d'un phénomène climatique que personne n'avait vu venir."),
    ("fr", "Nous ne pouvions rien contre une crue pareille."),
    ("fr", "Le retard incombe à la société chargée de la maintenance."),
]
NOT_BLAME = [
    ("en", "A storm brought down lines; our crews are repairing them."),
    ("en", "The outage is due to Storm Ciarán, which brought down 40 lines."),
    ("en", "A contractor working for us cut a water main; our engineers are repairing it."),
    ("en", "A fault at our supplier's substation cut power; we moved you to another circuit."),
    ("en", "Customers who have not yet received their refund will get it by Friday."),
    ("en", "We are to blame for this and we are sorry."),
    ("en", "Due to our error, bills were wrong."),
    ("en", "An extreme heat warning is in force until Friday."),
    ("fr", "En raison de la tempête, le trafic est interrompu ; nos équipes dégagent les voies."),
    ("fr", "Une défaillance chez notre hébergeur a coupé le site ; nous basculons sur un secours."),
    ("fr", "Les clients qui n'ont pas encore reçu leur remboursement le recevront vendredi."),
    ("fr", "La pelleteuse d'une entreprise de travaux a percé la conduite ; nous la remplaçons."),
    ("fr", "Nous sommes responsables de cette erreur."),
    ("en", "A lorry hit the bridge at 06:10; the road is closed while engineers inspect it."),
    (
        "en",
        "National Grid lost a transmission line at 04:20; we moved your supply to another line.",
    ),
    ("en", "The responsibility lies with us, and we are sorry."),
    ("fr", "En raison du verglas, les bus ne circulent pas ce matin."),
    ("fr", "Les personnes qui n'ont pas de véhicule peuvent prendre la navette gratuite."),
    (
        "en",
        "A digger working on the A61 cut our fibre cable at 10:05; our engineers are splicing it.",
    ),
    ("en", "Because of the flooding, the Ashby road is closed until the water goes down."),
    ("fr", "Un poids lourd a heurté un poteau à 6h ; nos techniciens remplacent la ligne."),
    ("fr", "À cause de la neige, les collectes de déchets sont reportées à jeudi."),
    ("fr", "Les clients qui n'ont pas encore reçu de SMS seront appelés aujourd'hui."),
    ("en", "Storm Bert flooded our Ashby substation at 03:00; we are pumping it out now."),
    ("en", "Because of high winds, the Severn bridge is closed to high-sided vehicles."),
    ("en", "The supplier's tanker arrived at 14:00 and our staff are filling bowsers."),
    ("fr", "La crue de la Deûle a inondé notre poste électrique ; nos agents pompent l'eau."),
    ("fr", "En raison de la grève nationale, nos bus ne circulent pas ce jeudi."),
    ("en", "Some meters have not been read yet."),
]


@pytest.mark.parametrize(("language", "text"), BLAME, ids=[t for _, t in BLAME])
def test_blame_is_found_however_it_is_phrased(language: str, text: str) -> None:
    assert list(find_blame(language, text)), text


@pytest.mark.parametrize(("language", "text"), NOT_BLAME, ids=[t for _, t in NOT_BLAME])
def test_a_cause_named_as_a_fact_is_not_blame(language: str, text: str) -> None:
    assert [text[f.start : f.end] for f in find_blame(language, text)] == []


NON_APOLOGIES = [
    ("en", "We regret any inconvenience this may have caused."),
    ("en", "We are sorry if anyone was affected."),
    ("en", "To the extent that customers were affected, we apologise."),
    ("en", "We apologise to anyone who may have experienced difficulties."),
    ("en", "We are sorry for the disruption this may have caused to your morning."),
    ("en", "We are sorry that you feel frustrated by the delay."),
    ("en", "We are sorry for your frustration."),
    ("fr", "Nous nous excusons pour la gêne éventuelle."),
    ("fr", "Nous regrettons les éventuels désagréments."),
    ("fr", "Nous nous excusons auprès de ceux qui auraient été gênés."),
    ("fr", "Nous sommes désolés que vous ressentiez de la frustration."),
    ("fr", "Nous regrettons votre mécontentement."),
    ("en", "We apologise should you have experienced any issues."),
    ("en", "Sorry to those who feel we could have communicated better."),
    ("en", "We regret that some customers perceived a delay."),
    ("fr", "Toutes nos excuses si cela a pu vous gêner."),
    ("fr", "Nous sommes navrés pour le désagrément que certains ont pu ressentir."),
    ("fr", "Nous regrettons que certains d'entre vous se soient sentis mal informés."),
    ("en", "We're sorry for any confusion you may have had."),
    ("en", "Apologies to customers who might have noticed slower speeds."),
    ("en", "We are sorry you were disappointed with our response."),
    ("fr", "Nous vous prions de nous excuser pour les perturbations qui auraient pu survenir."),
    ("fr", "Désolés que vous soyez mécontents de la situation."),
    ("fr", "Nous présentons nos excuses à ceux qui se sont sentis lésés."),
    ("en", "We apologise if our message caused any alarm."),
    ("en", "Our apologies for any disruption that some users may have noticed."),
    ("en", "We're sorry that you're feeling let down by us today."),
    ("fr", "Veuillez nous excuser pour les éventuels inconvénients."),
    ("fr", "Nous sommes désolés si certains ont trouvé l'attente longue."),
    ("fr", "Nous regrettons que cette coupure ait pu être mal vécue par certains."),
]
APOLOGIES = [
    ("en", "We are sorry. If you have no water, collect bottles at the town hall."),
    ("en", "We are sorry: we know this leaves you without water today."),
    ("en", "We are sorry, and if you need water, collect bottles at the school."),
    ("en", "We are sorry for the worry this causes, and we will refund any charges."),
    ("en", "We are sorry, especially if you were waiting for something you need."),
    ("en", "We are sorry you were without power for so long."),
    ("fr", "Nous sommes désolés que vous soyez sans eau depuis ce matin."),
    ("fr", "Nous sommes désolés. Si l'eau ne revient pas à 18h, appelez-nous."),
    ("fr", "Nous sommes désolés, surtout si vous attendiez un colis."),
    ("fr", "Nous vous présentons nos excuses pour l'inquiétude que cela vous cause."),
    ("en", "We are sorry: many of you have been without heating since Tuesday."),
    ("fr", "Nous sommes désolés : vous avez attendu trop longtemps au téléphone hier."),
    ("en", "We are sorry. If you need water before then, collect it at the school."),
    ("fr", "Nous sommes désolés pour cette nuit sans chauffage."),
    ("en", "We are sorry: your card did not work this morning, and that was our fault."),
    ("fr", "Nous sommes désolés : vous avez eu froid cette nuit à cause de notre panne."),
]


@pytest.mark.parametrize(("language", "text"), NON_APOLOGIES, ids=[t for _, t in NON_APOLOGIES])
def test_an_apology_that_takes_itself_back(language: str, text: str) -> None:
    assert list(find_non_apologies(language, text)), text


@pytest.mark.parametrize(("language", "text"), APOLOGIES, ids=[t for _, t in APOLOGIES])
def test_a_real_apology_beside_a_condition_or_an_intensifier(language: str, text: str) -> None:
    assert list(find_non_apologies(language, text)) == []


def test_an_apology_for_feelings_gets_its_own_example() -> None:
    found = list(find_non_apologies("en", "We are sorry that you feel let down."))
    assert [f.example for f in found] == ["non_apology_feelings"]
    found = list(find_non_apologies("fr", "Nous sommes désolés pour la gêne éventuelle."))
    assert [f.example for f in found] == ["non_apology"]


PASSIVES = [
    ("en", "Errors were made during last night's work on High Street."),
    ("en", "It was decided to switch off the pumps."),
    ("en", "The valve was left open overnight."),
    ("en", "Residents were not informed before the supply was cut."),
    ("en", "The wrong valve was closed by mistake."),
    ("en", "Some bills were wrongly calculated."),
    ("en", "The alarm was overlooked for two hours."),
    ("en", "The meters were misread in October."),
    ("en", "A decision was taken to close the bridge."),
    ("fr", "Des erreurs ont pu être commises."),
    ("fr", "La vanne a été laissée ouverte toute la nuit."),
    ("fr", "Les riverains n'ont pas été prévenus des travaux."),
    ("fr", "Le compteur a été mal réglé."),
    ("fr", "Les factures ont été envoyées par erreur."),
    ("fr", "La décision a été prise de fermer le pont."),
    ("en", "The maintenance window was scheduled without notifying customers."),
    ("en", "Some safety checks were skipped during the upgrade."),
    ("en", "The backup generator had not been tested since March."),
    ("fr", "Le mauvais fichier a été chargé sur nos serveurs samedi."),
    ("fr", "Les alertes n'avaient pas été transmises aux équipes de garde."),
    ("fr", "Une vanne a été fermée par erreur pendant l'intervention."),
    ("en", "The gas main was not isolated before digging began."),
    ("en", "An incorrect figure was published in yesterday's update."),
    ("en", "The maintenance was rushed to meet the deadline."),
    ("fr", "Aucune vérification n'a été faite avant la remise en service."),
    ("fr", "Le niveau d'alerte a été sous-estimé dimanche soir."),
    ("fr", "Les avertissements de la veille n'ont pas été pris au sérieux."),
    ("en", "The warning siren was disabled for testing and never reactivated."),
    ("en", "Mistakes have clearly been made in how this was handled."),
    ("en", "The old pipe should have been replaced years ago."),
    ("fr", "Le plan de secours n'avait jamais été testé."),
    ("fr", "Il a été jugé préférable de ne pas vous alerter la nuit."),
    ("fr", "Des données erronées ont été communiquées aux pompiers."),
]
NOT_PASSIVES = [
    ("en", "Power has been restored to all homes."),
    ("en", "The road is closed between the two roundabouts."),
    ("en", "Thousands of homes were left without power."),
    ("en", "The valve was left open by our night team; we have closed it."),
    ("en", "It was decided by the county council to close the bridge."),
    ("en", "A cable was cut during roadworks."),
    ("en", "Customers were told by text at 9am."),
    ("fr", "Le courant a été rétabli dans tous les foyers."),
    ("fr", "La route est fermée entre Lens et Liévin."),
    ("fr", "Des bouteilles d'eau sont données à la mairie."),
    ("fr", "Une conduite a été abîmée cette nuit pendant des travaux."),
    ("fr", "La vanne a été laissée ouverte par notre équipe de nuit ; nous l'avons refermée."),
    ("fr", "Les habitants ont été prévenus par SMS à 7h."),
    ("en", "Water has been restored to all homes in Ashby."),
    ("en", "The decision to evacuate was taken by the fire service at 02:00."),
    ("fr", "L'eau a été coupée par nos équipes à 8h pour réparer la fuite."),
    ("fr", "Les écoles sont fermées sur décision du préfet."),
    ("fr", "Le mauvais temps a été annoncé dès lundi par Météo-France."),
    ("en", "The fault was traced by our engineers to a cracked joint under Mill Lane."),
    ("en", "The pumps were switched off by our control room at 05:40 to protect the network."),
    ("fr", "La circulation a été rétablie sur l'A1 à 9h."),
    ("fr", "La décision d'évacuer a été prise par la maire à 2h."),
    ("en", "We made a mistake in yesterday's bill run, and we are refunding everyone affected."),
    ("en", "The alert was sent by the county council at 21:40."),
    ("fr", "La route a été fermée par les gendarmes à 5h pour protéger les automobilistes."),
]


@pytest.mark.parametrize(("language", "text"), PASSIVES, ids=[t for _, t in PASSIVES])
def test_an_accountable_act_in_the_passive_with_nobody_doing_it(language: str, text: str) -> None:
    assert list(find_passives(language, text)), text


@pytest.mark.parametrize(("language", "text"), NOT_PASSIVES, ids=[t for _, t in NOT_PASSIVES])
def test_a_state_a_repair_or_an_agent_is_no_evasion(language: str, text: str) -> None:
    assert [text[f.start : f.end] for f in find_passives(language, text)] == []


LIGHT = [
    ("en", "Our servers are having a rough day 😅"),
    ("en", "Well, that went badly :-)"),
    ("en", "Oops, our bad."),
    ("en", "Power is back, lol."),
    ("en", "No worries, engineers are on site."),
    ("en", "Fingers crossed for tonight."),
    ("en", "This was a shock, no pun intended."),
    ("fr", "Oups, petit coup de chaud sur nos serveurs."),
    ("fr", "On croise les doigts pour ce soir."),
    ("fr", "Ça roule, le courant revient."),
    ("fr", "Pas de souci, nos équipes sont dessus."),
    ("fr", "Le réseau a planté mdr"),
    ("en", "Bit of a nightmare morning here, apologies all!"),
    ("en", "Our app is taking an unplanned coffee break ☕"),
    ("en", "We're on it like a car bonnet."),
    ("fr", "Bon ben voilà, le réseau est tombé..."),
    ("fr", "On vous tient au jus 😉"),
    ("fr", "Nos serveurs ont fait grève sans prévenir, LOL."),
    ("en", "Well, that escalated quickly! Power's out across town."),
    ("en", "Our bad, folks — the app is down for a bit."),
    ("en", "Sorry for the drama, the trains are running again 🚆"),
    ("fr", "Oups, le site a fait une petite sieste cette nuit."),
    ("fr", "Allô Houston, on a un problème : plus de réseau à Lens."),
    ("fr", "Bref, c'est la panne du siècle, mais on gère."),
]
PLAIN = [
    ("en", "⚠ Do not drink tap water until we tell you it is safe."),
    ("en", "Call 0800 000 0000 free; more news at 18:00."),
    ("fr", "☎ Appelez le 0 800 000 000 (gratuit) ; point à 18h."),
    ("fr", "Nos techniciens réparent la conduite ; retour de l'eau prévu vers 18h."),
]


@pytest.mark.parametrize(("language", "text"), LIGHT, ids=[t for _, t in LIGHT])
def test_a_light_register_is_found(language: str, text: str) -> None:
    assert list(find_register(language, text)), text


@pytest.mark.parametrize(("language", "text"), PLAIN, ids=[t for _, t in PLAIN])
def test_informative_symbols_and_plain_words_are_no_joke(language: str, text: str) -> None:
    assert list(find_register(language, text)) == []


@pytest.mark.parametrize(
    ("signature", "what"),
    [
        ("Le service communication", "communication"),
        ("Management", "team"),
        ("The team", "team"),
        ("La direction", "team"),
        ("Head of Communications", "communication"),
        ("Marie Dupont, directrice de la communication", "communication"),
        ("Sarah Okafor", "none"),
        ("Lumea Énergie", "none"),
        ("Helen Price, Managing Director", None),
        ("Anne Roche, maire de Belmont", None),
        ("The mayor's office", None),
        ("La préfecture du Nord", None),
        ("Le cabinet du maire", None),
        ("Tom Hale, duty manager at Gatwick", None),
        ("Jean Morel, chef d'escale à Orly", None),
        ("Marc Duval, chef d\u2019exploitation de Gaz Touraine", None),
        ("Léa Roux, cheffe de gare", None),
        ("Priya Shah, Director of Public Health", None),
    ],
)
def test_who_speaks_names_someone_accountable(signature: str, what: str | None) -> None:
    assert unaccountable(signature) == what


def test_every_sector_names_its_accountable_roles() -> None:
    import yaml

    from broadcast.starter import SECTORS, SECTORS_ROOT

    roles = yaml.safe_load((SECTORS_ROOT / "accountable.yaml").read_text("utf-8"))
    assert set(roles) == set(SECTORS)
    for sector in SECTORS:
        data = roles[sector]
        assert set(data) == {"en", "fr"} and data["en"] and data["fr"], sector
        # Every role a sector lists counts as accountable, in both languages.
        for role in data["en"] + data["fr"]:
            assert unaccountable(f"Alex Martin, {role}") is None, (sector, role)
            # And in its own sector, when the team names it in channels.yaml.
            assert unaccountable(f"Alex Martin, {role}", sector=sector) is None, (sector, role)


@pytest.mark.parametrize(
    ("signature", "language", "sector", "what"),
    [
        # « la mairie » answers for a town: not for a bank's or an operator's outage.
        ("La mairie de Belmont", "fr", "public", None),
        ("La mairie de Belmont", "fr", None, None),
        ("La mairie de Belmont", "fr", "telecom", "none"),
        ("La mairie de Belmont", "fr", "bank", "none"),
        ("Sam Reid, emergency planning officer", "en", "public", None),
        ("Sam Reid, emergency planning officer", "en", "utility", "none"),
        ("Ola Berg, accountable manager", "en", "transport", None),
        ("Ola Berg, accountable manager", "en", "retail", "none"),
        # A role that heads something answers in any sector.
        ("Claire Martin, directrice", "fr", "bank", None),
        ("Anne Roche, maire de Belmont", "fr", "telecom", None),
        ("Tom Hale, duty manager", "en", "retail", None),
        # And the communication side in none.
        ("Le service communication", "fr", "public", "communication"),
        # A sector the data does not know: every sector's roles.
        ("La mairie de Belmont", "fr", "shipping", None),
    ],
)
def test_who_speaks_reads_the_roles_of_the_teams_sector(
    signature: str, language: str, sector: str | None, what: str | None
) -> None:
    assert unaccountable(signature, language, sector) == what


# -- Whole incidents ---------------------------------------------------------------------------


def checks_of(tmp_path: Path, text: str) -> list[tuple[str | None, str | None, str]]:
    path = write(tmp_path / "incident.yaml", text)
    incident, doc = load_incident(path)
    return [(which_check(p.message), p.field, p.message) for p in check_content(incident, doc)]


def test_register_is_judged_only_in_a_major_or_critical_incident(tmp_path: Path) -> None:
    light = change(EN, "Taps are dry", "Taps are dry, folks")
    assert [c[:2] for c in checks_of(tmp_path, light)] == [("register", "summary")]
    minor = change(light, "severity: major", "severity: minor")
    assert checks_of(tmp_path, minor) == []


def test_register_reads_the_faq_too(tmp_path: Path) -> None:
    light = change(FR, "a: Oui.", "a: Oui, pas de souci.")
    found = [c for c in checks_of(tmp_path, light) if c[0] == "register"]
    assert [c[1] for c in found] == ["faq[0].a"]
    assert found[0][2].startswith("« pas de souci » est trop léger pour un incident major")


def test_who_speaks_judges_a_critical_signature_and_its_translations(tmp_path: Path) -> None:
    critical = change(FR, "severity: major", "severity: critical")
    critical += "signed_by: Le service communication\n"
    critical += "translations:\n  en:\n    signed_by: The communications team\n" + "".join(
        f"    {line}\n"
        for line in EN.splitlines()
        if line.split(":")[0] in ("title", "headline", "affected", "actions", "apology", "offline")
    )
    critical += "    summary: A water main burst under High Street last night.\n"
    found = [c for c in checks_of(tmp_path, critical) if c[0] == "who_speaks"]
    assert [c[1] for c in found] == ["signed_by", "translations.en.signed_by"]
    # In the file's language, with the sectors' roles as the practice to follow.
    assert "ceux qui écrivent les messages" in found[0][2]
    assert "maire" in found[0][2] and "directeur général" in found[0][2]
    accountable = critical.replace("Le service communication", "Claire Martin, directrice")
    accountable = accountable.replace("The communications team", "Claire Martin, Director")
    assert [c for c in checks_of(tmp_path, accountable) if c[0] == "who_speaks"] == []
    major = change(critical, "severity: critical", "severity: major")
    assert [c for c in checks_of(tmp_path, major) if c[0] == "who_speaks"] == []


def test_who_speaks_names_the_roles_of_the_teams_sector(tmp_path: Path) -> None:
    critical = change(FR, "severity: major", "severity: critical") + "signed_by: La mairie\n"
    path = write(tmp_path / "incident.yaml", critical)
    incident, doc = load_incident(path)

    def said(sector: str | None) -> list[str]:
        found = check_content(incident, doc, sector=sector)
        return [p.message for p in found if which_check(p.message) == "who_speaks"]

    assert said(None) == [] and said("public") == []
    (advice,) = said("bank")
    # The bank's own roles as the practice to follow, not a town's.
    assert "directeur général" in advice and "président du directoire" in advice
    assert "maire" not in advice.replace("« La mairie »", "")


def test_the_advice_fits_the_kind_of_blame(tmp_path: Path) -> None:
    people = change(EN, "Taps are dry", "Residents who ignored our warning have dry taps")
    weather = change(EN, "Taps are dry", "Due to unprecedented rainfall, taps are dry")
    (found,) = [c[2] for c in checks_of(tmp_path, people) if c[0] == "blame"]
    assert EXAMPLES["en"]["blame_people"] in found
    (found,) = [c[2] for c in checks_of(tmp_path, weather) if c[0] == "blame"]
    assert EXAMPLES["en"]["blame_weather"] in found


def test_the_new_bad_incidents_cover_each_kind_in_both_languages() -> None:
    kinds = Counter(
        (expected_check(path), "fr" if "-fr-" in path.name else "en") for path in bad_incidents()
    )
    for check in ("blame", "non_apology", "passive", "register", "who_speaks"):
        assert kinds[check, "fr"] >= 2 and kinds[check, "en"] >= 2, check


def test_a_text_without_cues_compiles_no_construction() -> None:
    """A preview pays only for the constructions its words might hold: a plain sentence cues
    none of blame's, passive's or apology's rules, and none is compiled."""
    for module in (blame, passives, apologies, register):
        for cached in vars(module).values():
            if hasattr(cached, "cache_clear"):
                cached.cache_clear()
    re.purge()
    plain = "Engineers are replacing the pipe at the corner of High Street."
    assert list(find_blame("en", plain)) == []
    assert list(find_passives("en", plain)) == []
    assert list(find_non_apologies("en", plain)) == []
    assert blame._rules("en")._compiled == {}
    rules = passives._rules("en")
    assert rules is not None and rules[0]._compiled == {}


@pytest.mark.parametrize(
    ("entry", "cue"),
    [("no probs?", "no prob"), ("ya+y", "ya"), ("(?:ha){2,}", ""), ("on croise", "on croise")],
)
def test_a_lexicon_entry_cues_itself(entry: str, cue: str) -> None:
    assert literal_cue(entry) == cue
    assert who_speaks  # the module is importable on its own (it is imported lazily)


def test_si_intensifies_unless_a_subject_follows() -> None:
    """« si longtemps » makes the apology stronger; « si vous… » makes it conditional."""
    from broadcast.content.wording.apologies import find_non_apologies

    assert not list(
        find_non_apologies("fr", "Nous sommes désolés de vous laisser sans eau si longtemps.")
    )
    assert list(find_non_apologies("fr", "Nous sommes désolés si vous avez été gênés."))
    assert list(find_non_apologies("fr", "Nous sommes désolés s'il y a eu de la gêne."))


def test_nothing_done_is_an_act_owed_not_harm_suffered() -> None:
    """« Aucune mesure n'a été prise » hides who did not act; « aucun voyageur n'a été blessé »
    is good news."""
    from broadcast.content.wording.passives import find_passives

    assert not list(find_passives("fr", "Aucun voyageur n'a été blessé."))
    assert list(find_passives("fr", "Aucune mesure n'a été prise avant la coupure."))
    assert list(find_passives("fr", "Aucune vérification n'a été faite."))


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", "Much of it comes from households that kept watering gardens in spite of the ban."),
        ("fr", "Des habitants ont arrosé malgré l'arrêté préfectoral."),
        ("en", "With weather like this, none of these cancellations could have been avoided."),
    ],
)
def test_blame_on_readers_who_broke_a_rule_and_an_inevitability_claimed(
    language: str, sentence: str
) -> None:
    """Found by a held-out set: a ban or an order is a rule people are blamed for breaking, as
    a warning is; "none of it could have been avoided" is the excuse without naming a cause."""
    from broadcast.content.wording.blame import find_blame

    assert list(find_blame(language, sentence))


def test_a_quip_frame_is_a_light_register() -> None:
    from broadcast.content.wording.register import find_register

    assert list(find_register("en", "Talk about a bad hair day for the railway."))
    assert not list(find_register("en", "Engineers are fixing the signal at Church Fenton."))


@pytest.mark.parametrize(
    ("text", "pictures"),
    [
        ("Family day ruined \U0001f468\u200d\U0001f469\u200d\U0001f467", ["family"]),
        ("Back soon \U0001f1eb\U0001f1f7\U0001f1ec\U0001f1e7", ["fr", "gb"]),
        ("Engineers on it \U0001f44d\U0001f3fd", ["thumbs up, medium skin"]),
        ("Pride week \U0001f3f3\ufe0f\u200d\U0001f308", ["rainbow flag"]),
        ("Go \U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", ["scotland"]),
        ("Two \U0001f600\U0001f600", ["grin", "grin"]),
        ("Hot \u2764\ufe0f\u200d\U0001f525", ["heart on fire"]),
    ],
)
def test_an_emoji_sequence_is_one_finding(text: str, pictures: list[str]) -> None:
    """What a reader sees as one picture (a ZWJ family, a flag, a skin tone, a subdivision
    flag's tags) is one finding quoting the whole sequence, not one per code point."""
    found = [text[a:b] for a, b in find_register("en", text)]
    assert len(found) == len(pictures), found
    assert "".join(found) == text[len(text) - len("".join(found)) :]  # whole, nothing left


def test_an_informative_sign_with_its_presentation_selector_is_not_light() -> None:
    assert list(find_register("en", "\u26a0\ufe0f Gas leak: leave now. \u260e\ufe0f 999")) == []


def test_a_family_emoji_is_one_register_warning(tmp_path: Path) -> None:
    major = change(EN, "Taps are dry", "Taps are dry \U0001f468\u200d\U0001f469\u200d\U0001f467")
    found = [c for c in checks_of(tmp_path, major) if c[0] == "register"]
    assert len(found) == 1, found
    assert "\U0001f468\u200d\U0001f469\u200d\U0001f467" in found[0][2]
