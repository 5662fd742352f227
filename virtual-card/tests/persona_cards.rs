//! Every persona makes a virtual card whose state matches its definition.

use myna_personas::Personas;
use myna_virtual_card::VirtualCard;

#[test]
fn every_persona_makes_a_card() {
    let personas = Personas::embedded();
    for persona in personas.iter() {
        let card =
            VirtualCard::from_persona(persona).unwrap_or_else(|e| panic!("{}: {e}", persona.name));
        assert_eq!(
            card.auth_pin_remaining(),
            persona.pin_remaining,
            "{}",
            persona.name
        );
        assert_eq!(
            card.auth_public_key().unwrap(),
            persona.auth_key.to_public_key()
        );
        assert_eq!(persona.issuer_cert_der, personas.ca_cert_der());
    }
}
